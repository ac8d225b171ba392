package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-dockerplugins/plugins"
)

// runner is one Run: the plugin, the options, and what its sections found.
type runner struct {
	ctx    context.Context
	cfg    config
	p      *plugins.Plugin
	report Report

	// target is where raw requests go; targetErr says why there is none.
	target    *wireTarget
	targetErr error

	plugin   *section
	sections []*section

	// What the raw answers showed, for framing and content-type.
	framed, json200       int
	frameIssues, typeBugs []string
}

func newRunner(ctx context.Context, p *plugins.Plugin, name string, opts []Option) *runner {
	cfg := config{callTimeout: DefaultCallTimeout, timeoutScale: 1, settle: 50 * time.Millisecond}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	r := &runner{ctx: ctx, cfg: cfg, p: p, report: Report{Plugin: name, Write: cfg.write}}
	r.plugin = r.newSection(iface{name: Plugin})
	return r
}

func (r *runner) run() (Report, error) {
	r.target, r.targetErr = newWireTarget(r.p)
	r.pluginChecks()
	seen := make(map[string]bool)
	for _, name := range r.p.Manifest.Implements {
		in, ok := lookupInterface(name)
		if !ok || seen[name] || r.ctx.Err() != nil {
			continue
		}
		seen[name] = true
		s := r.newSection(in)
		r.sections = append(r.sections, s)
		s.runInterface()
	}
	r.wireFindings()

	r.report.Findings = r.plugin.findings()
	for _, s := range r.sections {
		r.report.Findings = append(r.report.Findings, s.findings()...)
	}
	return r.report, r.ctx.Err()
}

// bound returns how long a call of method may take: the engine's timeout
// where it has one, else the check's own bound.
func (r *runner) bound(method string) (d time.Duration, engine bool) {
	if d := engineTimeout(method); d > 0 {
		return time.Duration(float64(d) * r.cfg.timeoutScale), true
	}
	return r.cfg.callTimeout, false
}

// engineTimeout is the engine's timeout for a call of method, or zero: the
// volume proxy's are the only ones legacy plugins get.
func engineTimeout(method string) time.Duration {
	switch method {
	case "VolumeDriver.Create", "VolumeDriver.Mount":
		return 2 * time.Minute
	case "VolumeDriver.Remove", "VolumeDriver.Path", "VolumeDriver.Unmount",
		"VolumeDriver.List", "VolumeDriver.Get", "VolumeDriver.Capabilities":
		return time.Minute
	}
	return 0
}

// randomHex returns n random hexadecimal digits.
func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)[:n]
}

// probeName is a fresh probe volume name; probeID a fresh 64-hex ID for a
// probe network or endpoint.
func probeName() string { return ProbePrefix + randomHex(12) }
func probeID() string   { return ProbeIDPrefix + randomHex(64-len(ProbeIDPrefix)) }

// section is the checks of one interface (or of Plugin) and the calls
// they made.
type section struct {
	r     *runner
	in    iface
	found map[string]Finding
	calls []callRecord
	// hung is the call that got no answer in time: the section's later
	// calls are not made, since they would most likely wait as long.
	hung *callRecord
	// bodies are the statuses of the raw calls of empty-args, by method:
	// [empty body, {}]; engineAnswers the bodies of the answers to the
	// body the engine sends.
	bodies        map[string][2]int
	engineAnswers map[string][]byte
}

type callRecord struct {
	method      string
	took, bound time.Duration
	engine      bool // bound is the engine's timeout
	timedOut    bool
}

func (r *runner) newSection(in iface) *section {
	return &section{r: r, in: in, found: make(map[string]Finding), bodies: make(map[string][2]int), engineAnswers: make(map[string][]byte)}
}

// errNotCalled is the error of a call that was not made: an earlier call
// of the interface got no answer in time.
var errNotCalled = errors.New("not called")

// noAnswerError is the error of a call that got no answer within its bound.
type noAnswerError struct {
	method string
	bound  time.Duration
	engine bool
}

func (e *noAnswerError) Error() string {
	if e.engine {
		return fmt.Sprintf("%s: no answer within %v, the engine's timeout", e.method, e.bound)
	}
	return fmt.Sprintf("%s: no answer within %v", e.method, e.bound)
}

// call makes one call of method with fn, within its bound, and times it.
func (s *section) call(method string, fn func(context.Context) error) error {
	if s.hung != nil {
		return errNotCalled
	}
	if err := s.r.ctx.Err(); err != nil {
		return err
	}
	bound, engine := s.r.bound(method)
	ctx, cancel := context.WithTimeout(s.r.ctx, bound)
	defer cancel()
	start := time.Now()
	err := fn(ctx)
	rec := callRecord{method: method, took: time.Since(start), bound: bound, engine: engine}
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && s.r.ctx.Err() == nil {
		rec.timedOut = true
		err = &noAnswerError{method: method, bound: bound, engine: engine}
	}
	s.calls = append(s.calls, rec)
	if rec.timedOut {
		s.hung = &rec
	}
	return err
}

// unanswered judges the check id as not judged when err says its call got
// no answer (in time, or at all because of an earlier one), and reports
// whether it did.
func (s *section) unanswered(id string, err error) bool {
	var na *noAnswerError
	switch {
	case errors.Is(err, errNotCalled):
		s.set(id, Skip, s.notCalled())
	case errors.As(err, &na):
		s.set(id, Skip, na.Error()+" (see answers-in-time)")
	case err != nil && s.r.ctx.Err() != nil:
		// Interrupted: findings says so.
	default:
		return false
	}
	return true
}

func (s *section) notCalled() string {
	if s.hung != nil {
		return "not called: " + s.hung.method + " got no answer in time"
	}
	return "not run"
}

// set records the outcome of check id, with the consequence the check
// gives for it. A check that the list does not have, or an outcome it does
// not allow, is a bug of this package.
func (s *section) set(id string, st Status, detail string) {
	i, ok := checkIndex[[2]string{s.in.name, id}]
	if !ok {
		panic("conformance: no check " + s.in.name + "/" + id)
	}
	c := checks[i]
	f := Finding{Interface: c.Interface, Check: c.ID, Status: st, Detail: detail}
	switch {
	case st == Pass && c.Pass == "", st == Warn && c.Warn == "", st == Fail && c.Fail == "":
		panic(fmt.Sprintf("conformance: check %s/%s cannot end %v", c.Interface, c.ID, st))
	case st == Warn:
		f.Consequence = c.WarnConsequence
	case st == Fail:
		f.Consequence = c.FailConsequence
	}
	if _, dup := s.found[id]; dup {
		panic("conformance: check " + c.Interface + "/" + id + " judged twice")
	}
	s.found[id] = f
}

// skipRest judges the checks given that are not judged yet as skipped:
// those of a life cycle that stopped early.
func (s *section) skipRest(why string, ids ...string) {
	for _, id := range ids {
		if _, ok := s.found[id]; !ok {
			s.set(id, Skip, why)
		}
	}
}

// findings returns the section's findings in the order of the check list;
// a check that applies but was not judged is skipped, and the checks that
// need WithWrite are counted when it is not given.
func (s *section) findings() []Finding {
	var out []Finding
	for _, c := range checks {
		if c.Interface != s.in.name {
			continue
		}
		if c.Write && !s.r.cfg.write {
			s.r.report.NeedWrite++
			continue
		}
		f, ok := s.found[c.ID]
		if !ok {
			f = Finding{Interface: c.Interface, Check: c.ID, Status: Skip, Detail: s.notCalled()}
		}
		out = append(out, f)
	}
	return out
}

// runInterface runs the checks of the section's interface.
func (s *section) runInterface() {
	s.emptyArgs() // first: the typed checks of these methods read their results
	switch s.in.name {
	case "VolumeDriver":
		s.volume()
	case "NetworkDriver":
		s.network()
	case "IpamDriver":
		s.ipam()
	case "authz":
		s.authz()
	case "LogDriver":
		s.logDriver()
	case "MetricsCollector":
		s.set("legacy", Fail, "the manifest lists MetricsCollector")
	case "secretprovider":
		s.secrets()
	case "GraphDriver":
		s.set("removed", Warn, "the manifest lists GraphDriver")
		s.graphDriver()
	}
	s.unknownMethod()
	s.answersInTime()
}

// describe says what an error of a call was, in one line.
func describe(err error) string {
	var se *plugins.StatusError
	var ae *plugins.AnswerError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("status %d: %s", se.StatusCode, brief(se.Error()))
	case errors.As(err, &ae):
		return "200 with an error: " + brief(ae.Message)
	}
	return brief(err.Error())
}

// plural writes n things: plural(2, "entry", "entries").
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// brief keeps a message to one line of reasonable length.
func brief(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const limit = 200
	if len(s) > limit {
		s = s[:limit] + "..."
	}
	return s
}
