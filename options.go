package plugins

import (
	"context"
	"time"

	"github.com/sirupsen/logrus"
)

// Defaults, matching the engine's client.
const (
	// DefaultRetryBudget is how long a call keeps retrying a plugin it cannot
	// reach, and how long Get keeps looking for a plugin that is not there.
	DefaultRetryBudget = 30 * time.Second
	// DefaultGetAllTimeout bounds how long GetAll waits for the plugins it
	// activates: a stale socket or a hung plugin is skipped after this long.
	DefaultGetAllTimeout = time.Second
	// DefaultMaxAnswerSize bounds what a call reads of an answer it decodes:
	// far more than any real List answer, far less than a runaway plugin
	// can send. Stream is not bounded.
	DefaultMaxAnswerSize = 64 << 20
)

// Backoff returns how long to wait before retry number n (n is 1 for the
// first retry).
type Backoff func(n int) time.Duration

// DefaultBackoff is the engine's schedule: 1s, 2s, 4s, 8s, 16s, then 30s for
// every later retry.
var DefaultBackoff = ExponentialBackoff(time.Second, 30*time.Second)

// ExponentialBackoff returns a Backoff that waits first, then doubles the wait
// on each retry up to limit.
func ExponentialBackoff(first, limit time.Duration) Backoff {
	return func(n int) time.Duration {
		d := first
		for ; n > 1 && d > 0 && d < limit; n-- {
			d *= 2
		}
		return min(d, limit)
	}
}

// RetryEvent describes a retry that is about to happen: attempt number
// Attempt failed with Err, and the next attempt starts after Wait.
type RetryEvent struct {
	// Plugin is the plugin's name; empty for a Client made with NewClient.
	Plugin string
	// Method is the service method being called; empty while Get is still
	// looking for a plugin that is not there yet.
	Method string
	// Addr is the plugin's address as discovered, e.g. unix:///run/docker/plugins/x.sock.
	Addr string
	// Attempt counts the attempts made so far, starting at 1.
	Attempt int
	// Wait is the back-off before the next attempt.
	Wait time.Duration
	// Err is why the attempt failed.
	Err error
}

// Option configures a Client. Passed to NewStore, it configures every
// client the store makes, and the store's own lookups where it says so.
type Option interface {
	StoreOption
	// takenByClients marks the options a client takes.
	takenByClients()
}

// StoreOption configures a Store: every Option, and the options that
// concern only a store's lookups and GetAll (WithLookupRetryBudget,
// WithGetAllTimeout), which a client does not take.
type StoreOption interface {
	apply(*config)
}

// clientOption is an Option.
type clientOption func(*config)

func (o clientOption) apply(c *config) { o(c) }
func (clientOption) takenByClients()   {}

// storeOption is a StoreOption that is not an Option.
type storeOption func(*config)

func (o storeOption) apply(c *config) { o(c) }

// config holds what options set. It is immutable once built, so clients and
// stores share it without locking.
type config struct {
	backoff       Backoff
	lookupBudget  time.Duration
	callBudget    time.Duration
	getAllTimeout time.Duration
	callTimeout   time.Duration
	noResend      bool
	maxAnswer     int64
	observer      func(RetryEvent)
	callObserver  func(CallInfo)
	logger        logrus.FieldLogger
	clock         clock
}

func newConfig[O StoreOption](opts []O) *config {
	c := &config{
		backoff:       DefaultBackoff,
		lookupBudget:  DefaultRetryBudget,
		callBudget:    DefaultRetryBudget,
		getAllTimeout: DefaultGetAllTimeout,
		maxAnswer:     DefaultMaxAnswerSize,
		clock:         realClock{},
	}
	for _, o := range opts {
		if any(o) != nil {
			o.apply(c)
		}
	}
	if c.logger == nil {
		c.logger = logrus.StandardLogger()
	}
	return c
}

// WithBackoff sets the wait between retries of lookups and calls
// (default DefaultBackoff). A nil Backoff keeps the default.
func WithBackoff(b Backoff) Option {
	return clientOption(func(c *config) {
		if b != nil {
			c.backoff = b
		}
	})
}

// WithLookupRetryBudget sets how long Get keeps looking for a plugin that is
// not found (default DefaultRetryBudget): it gives up once the next wait
// would end this long after the first try. Zero or less: no retry.
//
// It also bounds Get as a whole, activation included, even without a
// deadline on its context: a plugin that accepts connections and never
// answers its handshake fails Get after this long. With no lookup retries,
// the call retry budget bounds Get instead, or DefaultRetryBudget if that
// is zero too.
func WithLookupRetryBudget(d time.Duration) StoreOption {
	return storeOption(func(c *config) { c.lookupBudget = max(d, 0) })
}

// activationBound is how long Get may take as a whole (see
// WithLookupRetryBudget).
func (c *config) activationBound() time.Duration {
	switch {
	case c.lookupBudget > 0:
		return c.lookupBudget
	case c.callBudget > 0:
		return c.callBudget
	}
	return DefaultRetryBudget
}

// WithCallRetryBudget sets how long a call keeps retrying a plugin it cannot
// reach (default DefaultRetryBudget), with the same rule as
// WithLookupRetryBudget. Zero or less: no retry.
func WithCallRetryBudget(d time.Duration) Option {
	return clientOption(func(c *config) { c.callBudget = max(d, 0) })
}

// WithGetAllTimeout bounds how long GetAll waits for plugins it has to
// activate (default DefaultGetAllTimeout); plugins that do not answer in
// time are logged and left out. Zero or less keeps the default.
func WithGetAllTimeout(d time.Duration) StoreOption {
	return storeOption(func(c *config) {
		if d > 0 {
			c.getAllTimeout = d
		}
	})
}

// WithTimeout bounds every call as a whole, retries and reading the answer
// included (default: no bound other than the retry budget and the caller's
// context). WithRequestTimeout overrides it for one call.
func WithTimeout(d time.Duration) Option {
	return clientOption(func(c *config) { c.callTimeout = max(d, 0) })
}

// WithNoResend makes every call of a client (or of a store's plugins)
// never send its request again once it was written whole: a plugin that
// received it may have acted on it (created a volume, say) before its
// connection broke. Such a call fails with an error matching
// ErrOutcomeUnknown; requests not yet written whole are still retried. By
// default, as in the engine, a call whose plugin dropped the connection
// without an answer is sent again. WithRequestNoResend sets it for one call.
func WithNoResend() Option {
	return clientOption(func(c *config) { c.noResend = true })
}

// WithMaxAnswerSize bounds what Call, CallRaw, SendFile and activation read
// of an answer (default DefaultMaxAnswerSize); a longer answer is an error
// matching *AnswerTooLargeError. Zero or less keeps the default. Stream
// reads answers of any size.
func WithMaxAnswerSize(n int64) Option {
	return clientOption(func(c *config) {
		if n > 0 {
			c.maxAnswer = n
		}
	})
}

// WithRetryObserver registers fn to be called, synchronously, before every
// retry of a lookup or a call, including a request sent again at once on a
// new connection after a kept-alive one failed (Wait is then zero); a
// program can use it to show progress or count retries. fn must not block.
func WithRetryObserver(fn func(RetryEvent)) Option {
	return clientOption(func(c *config) { c.observer = fn })
}

// WithLogger sets where the library logs (default: logrus's standard
// logger): each retry, at warning level, for a client or a store, and the
// plugins a LocalRegistry or GetAll leaves out. One option serves all
// three, so a program says once where its plugin logs go.
func WithLogger(l logrus.FieldLogger) LoggerOption {
	return LoggerOption{logger: l}
}

// LoggerOption is what WithLogger returns: an Option, a StoreOption and a
// RegistryOption alike.
type LoggerOption struct{ logger logrus.FieldLogger }

func (o LoggerOption) apply(c *config)                { c.logger = o.logger }
func (LoggerOption) takenByClients()                  {}
func (o LoggerOption) applyRegistry(r *LocalRegistry) { r.logger = o.logger }

// clock lets tests check back-off schedules and budgets without sleeping them.
type clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, and returns ctx.Err() in that case.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
