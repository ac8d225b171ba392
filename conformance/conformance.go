package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/sirupsen/logrus"
)

// Status is the outcome of a check.
type Status int

const (
	// Pass: the engine reads what the plugin did as the plugin meant it.
	Pass Status = iota
	// Skip: the check was not judged (a call got no answer in time, a
	// check it depends on failed, or it does not apply).
	Skip
	// Warn: the engine copes, but not as the plugin meant it.
	Warn
	// Fail: something breaks in the engine.
	Fail
)

// String returns PASS, SKIP, WARN or FAIL.
func (s Status) String() string {
	switch s {
	case Pass:
		return "PASS"
	case Skip:
		return "SKIP"
	case Warn:
		return "WARN"
	case Fail:
		return "FAIL"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// MarshalText writes the status in lower case: pass, skip, warn or fail.
func (s Status) MarshalText() ([]byte, error) {
	switch s {
	case Pass, Skip, Warn, Fail:
		return []byte(strings.ToLower(s.String())), nil
	}
	return nil, fmt.Errorf("conformance: unknown status %d", int(s))
}

// UnmarshalText reads what MarshalText writes, in any case.
func (s *Status) UnmarshalText(b []byte) error {
	for _, st := range []Status{Pass, Skip, Warn, Fail} {
		if strings.EqualFold(string(b), st.String()) {
			*s = st
			return nil
		}
	}
	return fmt.Errorf("conformance: unknown status %q", b)
}

// Finding is the outcome of one check on one plugin.
type Finding struct {
	// Interface and Check name the check (see Checks).
	Interface string `json:"interface"`
	Check     string `json:"check"`
	// Status is how it went.
	Status Status `json:"status"`
	// Detail says what the plugin did.
	Detail string `json:"detail,omitempty"`
	// Consequence says, for a warning or a failure, what the engine does
	// because of it: the check's WarnConsequence or FailConsequence.
	Consequence string `json:"consequence,omitempty"`
}

// String returns the finding in one line: "VolumeDriver/list: FAIL: what
// the plugin did -> What the engine does."
func (f Finding) String() string {
	s := f.Interface + "/" + f.Check + ": " + f.Status.String()
	if f.Detail != "" {
		s += ": " + f.Detail
	}
	if f.Consequence != "" {
		s += " -> " + f.Consequence
	}
	return s
}

// Report is what Run found: one Finding per check that applies to the
// plugin, in the order of Checks.
type Report struct {
	// Plugin is the plugin's name, or its address for RunAddr.
	Plugin string `json:"plugin"`
	// Write tells whether the checks that create probe resources ran.
	Write bool `json:"write"`
	// Findings are the checks' outcomes.
	Findings []Finding `json:"findings"`
	// NeedWrite counts the checks that would have run WithWrite.
	NeedWrite int `json:"needWrite,omitempty"`
}

// Count returns how many findings have the status st.
func (r Report) Count(st Status) int {
	n := 0
	for _, f := range r.Findings {
		if f.Status == st {
			n++
		}
	}
	return n
}

// Flagged returns the warnings and failures.
func (r Report) Flagged() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Status == Warn || f.Status == Fail {
			out = append(out, f)
		}
	}
	return out
}

// Find returns the finding of a check, if the report has one.
func (r Report) Find(iface, check string) (Finding, bool) {
	for _, f := range r.Findings {
		if f.Interface == iface && f.Check == check {
			return f, true
		}
	}
	return Finding{}, false
}

// Err returns nil when no check failed, or an error that lists every
// failure, one a line: for a test, require.NoError(t, report.Err()).
func (r Report) Err() error {
	var lines []string
	for _, f := range r.Findings {
		if f.Status == Fail {
			lines = append(lines, f.String())
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return fmt.Errorf("plugin %s: %d of %d checks failed:\n%s", r.Plugin, len(lines), len(r.Findings), strings.Join(lines, "\n"))
}

// Option configures Run.
type Option func(*config)

type config struct {
	write       bool
	callTimeout time.Duration
	// timeoutScale shrinks the engine's timeouts, for the package's own
	// tests of slow plugins.
	timeoutScale float64
	// settle is how long the keep-alive check waits, after an answer, for
	// a connection to be closed or for bytes after the answer.
	settle time.Duration
}

// DefaultCallTimeout bounds each call the engine sets no timeout on, when
// WithCallTimeout does not say otherwise.
const DefaultCallTimeout = 30 * time.Second

// WithWrite also runs the checks that change the plugin's state: the life
// cycle of a probe volume, network and endpoint, IPAM pool and address,
// each with a random name, removed afterwards whatever happened. What
// could not be removed is reported by the interface's left-behind check.
func WithWrite() Option { return func(c *config) { c.write = true } }

// WithCallTimeout bounds each call that the engine sets no timeout on
// (all but VolumeDriver's, which get the engine's timeouts); zero or less
// keeps DefaultCallTimeout. A call that gets no answer within it fails the
// interface's answers-in-time check, and the interface's later calls are
// not made.
func WithCallTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.callTimeout = d
		}
	}
}

// ErrNotActivated is the error of Run for a plugin that has no client or
// manifest: one described by a Registry, not returned by a Store.
var ErrNotActivated = errors.New("plugin not activated: no client or manifest")

// Run runs every check that applies to p, an activated plugin (from
// Store.Get or Store.Activate, say): the checks of every plugin, then those
// of each interface its manifest lists, with the interface's typed client.
// Only calls that change nothing are made, unless WithWrite.
//
// The error is ErrNotActivated, or ctx's error when ctx ended first; the
// report then holds what was found so far, and the probe resources were
// removed all the same. Failed checks are findings, not an error: see
// Report.Err.
func Run(ctx context.Context, p *plugins.Plugin, opts ...Option) (Report, error) {
	if p == nil || p.Client == nil || p.Manifest == nil {
		return Report{}, ErrNotActivated
	}
	return newRunner(ctx, p, p.Name, opts).run()
}

// RunAddr is Run for a plugin that listens at addr (unix:///path,
// tcp://host:port, https://host:port, ...) without a plugin directory: a
// plugin a test serves on a listener of its own, with the SDK say. It
// activates the plugin first; an activation that fails is the finding of
// the handshake check, and the report skips every other check. TLS
// certificates are not verified.
func RunAddr(ctx context.Context, addr string, opts ...Option) (Report, error) {
	p := plugins.NewLocalPlugin(addr, addr)
	// A test's plugin is up or not: no retry, and nothing logged.
	quiet := logrus.New()
	quiet.SetOutput(io.Discard)
	c, err := plugins.NewClientWithOptions(addr, p.TLSConfig, plugins.WithCallRetryBudget(0), plugins.WithLogger(quiet))
	if err != nil {
		return Report{}, fmt.Errorf("plugin at %s: %w", addr, err)
	}
	defer func() { _ = c.Close() }() // nothing to act on: the report is made
	r := newRunner(ctx, p, addr, opts)
	cfg := r.cfg
	actx, cancel := context.WithTimeout(ctx, cfg.callTimeout)
	defer cancel()
	var m plugins.Manifest
	if err := c.CallContext(actx, "Plugin.Activate", nil, &m); err != nil {
		if ctx.Err() != nil {
			return Report{Plugin: addr}, ctx.Err()
		}
		r.plugin.set("handshake", Fail, "activation failed: "+describe(err))
		r.plugin.skipRest("the plugin could not be activated", "implements", "framing", "content-type", "keep-alive")
		r.report.Findings = r.plugin.findings()
		return r.report, nil
	}
	p.Client, p.Manifest = c, &m
	return r.run()
}
