package conformance

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The checks every interface gets: how it answers a method it does not
// serve, the two bodies of its methods without arguments, and how long it
// takes to answer.

// unknownMethod sends a method that no plugin serves.
func (s *section) unknownMethod() {
	method := s.in.prefix + unknownMethodName
	a, err := s.raw(method, []byte("{}\n"))
	switch {
	case s.unanswered("unknown-method", err):
	case err != nil:
		s.set("unknown-method", Skip, "no answer: "+describe(err))
	case a.status == 0:
		s.set("unknown-method", Skip, "the answer is not well-formed (see framing)")
	case a.status == http.StatusNotFound:
		s.set("unknown-method", Pass, "404")
	default:
		s.set("unknown-method", Warn, fmt.Sprintf("status %d: %s", a.status, brief(string(a.body))))
	}
}

// emptyArgs sends each method without arguments an empty body and {}, and
// keeps their statuses for the methods' own checks.
func (s *section) emptyArgs() {
	if len(s.in.noArgs) == 0 {
		return
	}
	var warnings, skips []string
	for _, method := range s.in.noArgs {
		var got [2]int
		for i, body := range [][]byte{nil, []byte("{}\n")} {
			a, err := s.raw(method, body)
			if s.unanswered("empty-args", err) {
				return
			}
			if err != nil {
				s.set("empty-args", Skip, "no answer: "+describe(err))
				return
			}
			if a.status == 0 {
				s.set("empty-args", Skip, "an answer is not well-formed (see framing)")
				return
			}
			got[i] = a.status
			if (i == 1) == s.in.braces {
				s.engineAnswers[method] = a.body
			}
		}
		s.bodies[method] = got
		sent, other := got[0], got[1]
		if s.in.braces {
			sent, other = other, sent
		}
		name := strings.TrimPrefix(method, s.in.prefix)
		switch {
		case sent == http.StatusOK && other != http.StatusOK:
			warnings = append(warnings, fmt.Sprintf("%s: 200 to %s, %d to %s", name, s.bodyName(true), other, s.bodyName(false)))
		case sent != http.StatusOK && other == http.StatusOK:
			skips = append(skips, fmt.Sprintf("%s: %d to %s", name, sent, s.bodyName(true)))
		}
	}
	switch {
	case len(warnings) > 0:
		s.set("empty-args", Warn, strings.Join(warnings, "; "))
	case len(skips) > 0:
		s.set("empty-args", Skip, strings.Join(skips, "; ")+", the body the engine sends (see the method's check)")
	default:
		s.set("empty-args", Pass, "the same status to both")
	}
}

// bodyName names the body the engine sends to the interface's methods
// without arguments, or the other one.
func (s *section) bodyName(engines bool) string {
	if s.in.braces == engines {
		return "{}"
	}
	return "an empty body"
}

// refusedBody says, for a method whose call failed, whether the plugin
// refuses the body the engine sends but takes the other one.
func (s *section) refusedBody(method string) string {
	got, ok := s.bodies[method]
	if !ok {
		return ""
	}
	sent, other := got[0], got[1]
	if s.in.braces {
		sent, other = other, sent
	}
	if sent != http.StatusOK && other == http.StatusOK {
		return fmt.Sprintf(" (%s, which the engine sends, is refused; %s is taken)", s.bodyName(true), s.bodyName(false))
	}
	return ""
}

// answersInTime judges how long the section's calls took.
func (s *section) answersInTime() {
	if len(s.calls) == 0 {
		s.set("answers-in-time", Skip, "no call made")
		return
	}
	slowest := s.calls[0]
	for _, c := range s.calls {
		if c.timedOut {
			s.set("answers-in-time", Fail, (&noAnswerError{method: c.method, bound: c.bound, engine: c.engine}).Error())
			return
		}
		if float64(c.took)/float64(c.bound) > float64(slowest.took)/float64(slowest.bound) {
			slowest = c
		}
	}
	took := slowest.took.Round(time.Microsecond)
	switch {
	case slowest.engine && slowest.took > slowest.bound/2:
		s.set("answers-in-time", Warn, fmt.Sprintf("%s took %v of the engine's %v", slowest.method, took, slowest.bound))
	case slowest.engine:
		s.set("answers-in-time", Pass, fmt.Sprintf("slowest: %s, %v of the engine's %v", slowest.method, took, slowest.bound))
	default:
		s.set("answers-in-time", Pass, fmt.Sprintf("slowest: %s, %v", slowest.method, took))
	}
}
