package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// keepAliveCalls is how many handshakes keep-alive sends on one connection.
const keepAliveCalls = 3

// pluginChecks runs the checks of every plugin but framing and
// content-type, which wait for every raw answer.
func (r *runner) pluginChecks() {
	r.handshakes()
	r.implements()
}

// handshakes sends the handshake keepAliveCalls times on one connection:
// the first answer is handshake's, the connection keep-alive's.
func (r *runner) handshakes() {
	s := r.plugin
	if r.target == nil {
		s.set("handshake", Skip, "no raw requests: "+r.targetErr.Error())
		s.set("keep-alive", Skip, "no raw requests: "+r.targetErr.Error())
		return
	}
	var conn *wireConn
	err := s.call("Plugin.Activate", func(ctx context.Context) (err error) {
		conn, err = r.target.dial(ctx)
		return err
	})
	if err != nil {
		if !s.unanswered("handshake", err) {
			s.set("handshake", Fail, "cannot connect: "+describe(err))
		}
		s.set("keep-alive", Skip, "no connection")
		return
	}
	defer conn.close()
	for i := 1; i <= keepAliveCalls; i++ {
		var a *wireAnswer
		err := s.call("Plugin.Activate", func(ctx context.Context) (err error) {
			a, err = conn.exchange(ctx, "Plugin.Activate", nil)
			return err
		})
		if a != nil {
			r.observe("Plugin.Activate", a)
		}
		if i == 1 {
			s.judgeHandshake(a, err)
		}
		switch {
		case err != nil && i == 1:
			s.set("keep-alive", Skip, "the first handshake got no answer")
			return
		case errors.As(err, new(*noAnswerError)):
			s.set("keep-alive", Fail, fmt.Sprintf("handshake %d on the connection: %v", i, err))
			return
		case err != nil:
			s.set("keep-alive", Fail, fmt.Sprintf("handshake %d on the connection got no answer (%s): the plugin closed it without saying so", i, describe(err)))
			return
		case a.frameErr != nil:
			s.set("keep-alive", Skip, "an answer is not well-formed (see framing)")
			return
		case a.closes:
			s.set("keep-alive", Warn, fmt.Sprintf("answer %d says %s", i, a.closeReason))
			return
		}
		if i < keepAliveCalls {
			continue // the next request finds out whether the connection closed
		}
		switch conn.idle(r.cfg.settle) {
		case closedSilently:
			s.set("keep-alive", Fail, fmt.Sprintf("the plugin closed the connection after answer %d without saying so", i))
			return
		case sentMore:
			r.frameIssues = append(r.frameIssues, fmt.Sprintf("Plugin.Activate: bytes after the end of answer %d", i))
			s.set("keep-alive", Skip, "an answer is not well-formed (see framing)")
			return
		}
	}
	s.set("keep-alive", Pass, fmt.Sprintf("%d handshakes answered on one connection, kept open", keepAliveCalls))
}

// judgeHandshake judges the first raw handshake's answer.
func (s *section) judgeHandshake(a *wireAnswer, err error) {
	if err != nil {
		if !s.unanswered("handshake", err) {
			s.set("handshake", Fail, "no answer: "+describe(err))
		}
		return
	}
	if a.frameErr != nil {
		s.set("handshake", Skip, "the answer is not well-formed (see framing)")
		return
	}
	var m struct{ Implements []string }
	switch {
	case a.status != http.StatusOK:
		s.set("handshake", Fail, fmt.Sprintf("status %d: %s", a.status, brief(string(a.body))))
	case json.Unmarshal(a.body, &m) != nil:
		s.set("handshake", Fail, "not a JSON object with Implements: "+brief(string(a.body)))
	case len(m.Implements) == 0:
		s.set("handshake", Fail, "Implements lists no interface")
	default:
		s.set("handshake", Pass, "implements "+strings.Join(m.Implements, ", "))
	}
}

// implements judges the names of the manifest the plugin was activated
// with.
func (r *runner) implements() {
	s := r.plugin
	names := r.p.Manifest.Implements
	if len(names) == 0 {
		s.set("implements", Skip, "the manifest lists no interface (see handshake)")
		return
	}
	var wrong, unknown []string
	for _, name := range names {
		if _, ok := lookupInterface(name); ok {
			continue
		}
		if name == "csinode" || name == "csicontroller" {
			wrong = append(wrong, name+": a CSI interface, spoken over gRPC, which the engine takes from managed plugins only")
			continue
		}
		if meant, why := suggest(name); meant != "" {
			wrong = append(wrong, fmt.Sprintf("%s: did you mean %s?%s", name, meant, why))
		} else {
			unknown = append(unknown, name+": no such interface")
		}
	}
	switch {
	case len(wrong) > 0:
		s.set("implements", Fail, strings.Join(append(wrong, unknown...), "; "))
	case len(unknown) > 0:
		s.set("implements", Warn, strings.Join(unknown, "; "))
	default:
		s.set("implements", Pass, strings.Join(names, ", "))
	}
}

// aliases are names that plugins put in their manifests for an interface
// the engine spells otherwise, lower-cased, and why they are wrong.
var aliases = map[string]struct{ meant, why string }{
	"loggingdriver": {"LogDriver", " LoggingDriver works for managed plugins only, which are never sent the handshake"},
	"authzplugin":   {"authz", " AuthZPlugin is the prefix of the methods' paths, not the interface's name"},
	"authorization": {"authz", ""},
	"volume":        {"VolumeDriver", ""},
	"network":       {"NetworkDriver", ""},
	"ipam":          {"IpamDriver", ""},
	"log":           {"LogDriver", ""},
	"logging":       {"LogDriver", ""},
	"metrics":       {"MetricsCollector", ""},
	"secrets":       {"secretprovider", ""},
	"graph":         {"GraphDriver", ""},
}

// suggest returns the interface a manifest name that the engine does not
// know was meant to be, and why it was wrong, or "" when it is like none.
func suggest(name string) (meant, why string) {
	lower := strings.ToLower(name)
	// A managed plugin's type, docker.volumedriver/1.0, is not a manifest name.
	if t, ok := strings.CutPrefix(lower, "docker."); ok {
		lower, _, _ = strings.Cut(t, "/")
		why = " " + name + " is a managed plugin's type, not an interface's name"
	}
	if a, ok := aliases[lower]; ok {
		return a.meant, a.why + why
	}
	best, dist := "", 3 // a name within two edits is a typing error
	for _, in := range interfaces {
		known := strings.ToLower(in.name)
		if lower == known {
			if why == "" {
				why = " Names are case-sensitive"
			}
			return in.name, why
		}
		if d := editDistance(lower, known); d < dist {
			best, dist = in.name, d
		}
	}
	if best == "" {
		return "", ""
	}
	return best, why
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
