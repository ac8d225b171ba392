package conformance

// WithTimeoutScale shrinks the engine's timeouts by f, so that a test of a
// plugin slower than them does not wait minutes.
func WithTimeoutScale(f float64) Option { return func(c *config) { c.timeoutScale = f } }
