package plugins

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// maxParallelDials bounds the dials in progress of the activations GetAll
// starts: a plugin being retried or awaited holds no place, so dead plugins
// cannot keep live ones from being reached.
const maxParallelDials = 64

// Store finds plugins through a Registry, activates each once, caches the
// activated plugins and runs the handlers registered for their interfaces.
// The package-level Get, GetAll and Handle use a default Store over the
// operating system's directories; independent stores keep independent
// plugin sets, handlers and budgets. A Store is safe for concurrent use.
type Store struct {
	registry Registry
	cfg      *config

	// active maps names to activated plugins; reads take no lock.
	active sync.Map

	mu      sync.Mutex
	flights map[string]*flight // activations in progress, by name
	dials   chan struct{}      // places of the dials of GetAll's activations
	closed  bool

	hmu       sync.Mutex
	handlers  []handler // append-only
	nhandlers atomic.Int64
}

type handler struct {
	iface string
	fn    func(string, *Client)
}

// flight is one activation in progress, shared by every caller that asks
// for the plugin meanwhile. It runs detached from any one caller, within
// the store's activation bound, and is cancelled when the last caller
// waiting for it gives up, unless GetAll started or joined it: GetAll stops
// waiting after its own timeout, and the activation goes on so that a later
// call finds the plugin ready.
type flight struct {
	done     chan struct{}
	p        *Plugin
	err      error
	waiters  int    // guarded by Store.mu
	detached bool   // GetAll joined: never cancelled by waiters; guarded by Store.mu
	addr     string // the plugin's address, once found; guarded by Store.mu
	last     error  // the failure being retried, if any; guarded by Store.mu
	cancel   context.CancelFunc
}

// NewStore returns a Store that finds plugins through r (a nil r means
// NewLocalRegistry()), configured by opts: its own, and every Option for the
// clients of the plugins it activates.
func NewStore(r Registry, opts ...StoreOption) *Store {
	if r == nil {
		r = NewLocalRegistry()
	}
	return &Store{
		registry: r,
		cfg:      newConfig(opts),
		flights:  make(map[string]*flight),
		dials:    make(chan struct{}, maxParallelDials),
	}
}

// Registry returns the registry the store finds plugins through.
func (s *Store) Registry() Registry { return s.registry }

// Get returns the plugin called name if it implements imp; see the
// package-level Get.
func (s *Store) Get(name, imp string) (*Plugin, error) {
	return s.GetContext(context.Background(), name, imp)
}

// GetContext returns the plugin called name if it implements imp, finding
// and activating it first if needed. Cancelling ctx ends the lookup, its
// retries and activation at once with an error that satisfies
// errors.Is(err, ctx.Err()). Without a deadline, Get still ends within the
// store's lookup budget (see WithLookupRetryBudget).
func (s *Store) GetContext(ctx context.Context, name, imp string) (*Plugin, error) {
	p, err := s.load(ctx, name, nil)
	if err != nil {
		return nil, err
	}
	if !p.Implements(imp) {
		return nil, notImplementsError(name, imp)
	}
	return p, nil
}

// Activate returns the plugin called name whatever it implements, finding
// and activating it first if needed, once its handlers have run: GetContext
// without the interface check, for tools that list or inspect plugins.
func (s *Store) Activate(ctx context.Context, name string) (*Plugin, error) {
	return s.load(ctx, name, nil)
}

// load returns the activated plugin called name once its pending handlers
// have run. desc, when known, spares the lookup.
func (s *Store) load(ctx context.Context, name string, desc *Plugin) (*Plugin, error) {
	if v, ok := s.active.Load(name); ok {
		p := v.(*Plugin)
		s.handled(p)
		return p, nil
	}
	if err := validateName(name); err != nil {
		return nil, err
	}
	p, err := s.join(ctx, name, desc)
	if err != nil {
		return nil, err
	}
	s.runHandlers(p)
	return p, nil
}

// join waits for the activation of name, starting it if none is in progress.
func (s *Store) join(ctx context.Context, name string, desc *Plugin) (*Plugin, error) {
	f, p := s.flightFor(ctx, name, desc, false)
	if p != nil {
		return p, nil
	}
	select {
	case <-f.done:
		return f.p, f.err
	case <-ctx.Done():
		return nil, s.leave(ctx, name, f)
	}
}

// flightFor returns the activation in progress for name, starting one if
// none is, or the plugin if it is activated already. The caller counts
// among its waiters, unless it is GetAll (detached): GetAll's activations
// outlive its waiting, and their dials take places in s.dials.
func (s *Store) flightFor(ctx context.Context, name string, desc *Plugin, detached bool) (*flight, *Plugin) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.active.Load(name); ok { // activated since the lock-free check
		return nil, v.(*Plugin)
	}
	if s.closed {
		f := &flight{done: make(chan struct{}), err: fmt.Errorf("plugin %q: %w", name, ErrStoreClosed)}
		close(f.done)
		return f, nil
	}
	f := s.flights[name]
	if f == nil {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.activationBound())
		f = &flight{done: make(chan struct{}), cancel: cancel}
		var gate chan struct{}
		if detached {
			gate = s.dials
		}
		s.flights[name] = f
		go s.fly(fctx, name, desc, f, gate)
	}
	if detached {
		f.detached = true
	} else {
		f.waiters++
	}
	return f, nil
}

// leave is what a caller that gives up waiting for f returns; the last
// such caller cancels the activation, unless GetAll joined it.
func (s *Store) leave(ctx context.Context, name string, f *flight) error {
	s.mu.Lock()
	if f.waiters--; f.waiters == 0 && !f.detached && f.cancel != nil {
		f.cancel()
		if s.flights[name] == f {
			delete(s.flights, name)
		}
	}
	last, addr := f.last, f.addr
	s.mu.Unlock()
	if addr != "" {
		return fmt.Errorf("plugin %q (%s): waiting for activation: %w", name, addr, contextError(ctx, last))
	}
	return fmt.Errorf("plugin %q: waiting for activation: %w", name, contextError(ctx, last))
}

// fly looks the plugin up and activates it, then publishes the result.
func (s *Store) fly(ctx context.Context, name string, desc *Plugin, f *flight, gate chan struct{}) {
	p, err := s.activate(ctx, name, desc, f, gate)
	s.mu.Lock()
	if s.flights[name] == f {
		delete(s.flights, name)
	}
	switch {
	case err == nil && s.closed:
		_ = p.Client.Close()
		p, err = nil, fmt.Errorf("plugin %q: %w", name, ErrStoreClosed)
	case err == nil:
		// An abandoned flight may have finished first: keep one plugin per name.
		if v, loaded := s.active.LoadOrStore(name, p); loaded {
			_ = p.Client.Close()
			p = v.(*Plugin)
		}
	}
	s.mu.Unlock()
	f.cancel()
	f.p, f.err = p, err
	close(f.done)
}

// activate finds the plugin (unless desc describes it), then sends the
// /Plugin.Activate handshake and records the manifest. Each failure that
// is retried is noted in f, for callers that give up waiting.
func (s *Store) activate(ctx context.Context, name string, desc *Plugin, f *flight, gate chan struct{}) (*Plugin, error) {
	note := func(err error) {
		s.mu.Lock()
		f.last = err
		s.mu.Unlock()
	}
	if desc == nil {
		var err error
		if desc, err = s.lookup(ctx, name, note); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	f.addr = desc.Addr
	s.mu.Unlock()
	p := &Plugin{Name: name, Addr: desc.Addr, TLSConfig: desc.TLSConfig, source: desc.source, state: &pluginState{}}
	c, err := newClient(p.Addr, p.TLSConfig, name, s.cfg)
	if err != nil {
		if p.source != "" {
			return nil, fmt.Errorf("plugin %q: spec file %s: %w", name, p.source, err)
		}
		return nil, fmt.Errorf("plugin %q: %w", name, err)
	}
	o := c.opts()
	o.noResend = false // the handshake changes nothing
	o.gate, o.note = gate, note
	m := new(Manifest)
	if err := c.call(ctx, "Plugin.Activate", nil, m, o); err != nil {
		c.CloseIdleConnections()
		var se *StatusError
		switch {
		case errors.As(err, &se): // the bare status error names only the method
			err = fmt.Errorf("plugin %q (%s): %w", name, p.Addr, err)
		case errors.Is(ctx.Err(), context.DeadlineExceeded): // the activation bound, no caller's
			s.mu.Lock()
			last := f.last
			s.mu.Unlock()
			err = fmt.Errorf("plugin %q (%s): Plugin.Activate: no answer within %v: %w",
				name, p.Addr, s.cfg.activationBound(), contextError(ctx, last))
		}
		return nil, err
	}
	c.owner = s // from now on, the client finds its plugin again if it moves
	p.Client, p.Manifest = c, m
	return p, nil
}

// lookup asks the registry for name, retrying within the lookup budget
// while it is not found; other failures are returned at once.
func (s *Store) lookup(ctx context.Context, name string, note func(error)) (*Plugin, error) {
	var desc *Plugin
	err := s.cfg.retry(ctx, s.cfg.lookupBudget, &RetryEvent{Plugin: name}, note, func() (retryAction, error) {
		d, err := s.registry.Plugin(name)
		switch {
		case err != nil && errors.Is(err, ErrNotFound) && !errors.Is(err, ErrInvalidName):
			return retryLater, err
		case err != nil:
			return giveUp, err
		case d == nil:
			return giveUp, fmt.Errorf("plugin %q: registry returned no plugin and no error", name)
		}
		desc = d
		return giveUp, nil
	})
	return desc, err
}

// Handle registers fn to run once, with the plugin's name and client, for
// every plugin of the store that implements iface, including plugins
// activated before: they run it on their next Get. A nil fn is ignored.
//
// Handlers run while the plugin's other callers wait for them, so a handler
// must not Get the plugin it is running for, directly or through the
// handlers of a plugin it gets.
func (s *Store) Handle(iface string, fn func(string, *Client)) {
	if fn == nil {
		return
	}
	s.hmu.Lock()
	s.handlers = append(s.handlers, handler{iface, fn})
	s.nhandlers.Store(int64(len(s.handlers)))
	s.hmu.Unlock()
}

// handled runs the handlers registered since p last ran them, if any.
func (s *Store) handled(p *Plugin) {
	if p.state.handled.Load() != s.nhandlers.Load() {
		s.runHandlers(p)
	}
}

// runHandlers runs, in registration order, the handlers registered since p
// last ran them. Each runs once even when it panics.
func (s *Store) runHandlers(p *Plugin) {
	p.state.mu.Lock()
	defer p.state.mu.Unlock()
	s.hmu.Lock()
	hs := s.handlers
	s.hmu.Unlock()
	for i := int(p.state.handled.Load()); i < len(hs); i++ {
		func() {
			defer p.state.handled.Store(int64(i + 1))
			if p.Implements(hs[i].iface) {
				hs[i].fn(p.Name, p.Client)
			}
		}()
	}
}

// GetAll returns every plugin of the registry that implements imp; see
// GetAllContext.
func (s *Store) GetAll(imp string) ([]*Plugin, error) {
	return s.GetAllContext(context.Background(), imp)
}

// GetAllContext returns every plugin of the registry that implements imp,
// sorted by name. Activated plugins come from the cache; the others are
// activated in parallel, and those that do not answer within the store's
// GetAll timeout (see WithGetAllTimeout) or ctx are logged and left out.
// Their activation goes on in the background, within the store's
// activation bound, so a later Get or GetAll finds them ready. The error
// is the registry's, when it cannot list plugins.
func (s *Store) GetAllContext(ctx context.Context, imp string) ([]*Plugin, error) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, ErrStoreClosed
	}
	descs, cached, err := s.list()
	if err != nil {
		return nil, err
	}
	if !cached {
		ctx, cancel := context.WithTimeout(ctx, s.cfg.getAllTimeout)
		defer cancel()
		descs = s.activateAll(ctx, descs)
	}
	out := descs[:0]
	for _, p := range descs {
		s.handled(p)
		if p.Implements(imp) {
			out = append(out, p)
		}
	}
	return byName(out), nil
}

// activateAll returns the plugins of descs activated, starting every
// activation needed at once and waiting for them until ctx is done.
func (s *Store) activateAll(ctx context.Context, descs []*Plugin) []*Plugin {
	loaded := make([]*Plugin, 0, len(descs))
	flights := make(map[string]*flight)
	for _, d := range descs {
		if d == nil {
			continue
		}
		if v, ok := s.active.Load(d.Name); ok {
			loaded = append(loaded, v.(*Plugin))
			continue
		}
		if err := validateName(d.Name); err != nil {
			s.skip(d.Name, err)
			continue
		}
		if f, p := s.flightFor(ctx, d.Name, d, true); p != nil {
			loaded = append(loaded, p)
		} else {
			flights[d.Name] = f
		}
	}
	for name, f := range flights {
		select {
		case <-f.done:
		case <-ctx.Done():
			select {
			case <-f.done:
			default:
				s.skip(name, fmt.Errorf("plugin %q: not activated within %v, still trying in the background: %w",
					name, s.cfg.getAllTimeout, ctx.Err()))
				continue
			}
		}
		if f.err != nil {
			s.skip(name, f.err)
			continue
		}
		loaded = append(loaded, f.p)
	}
	return loaded
}

// skip logs a plugin that GetAll leaves out.
func (s *Store) skip(name string, err error) {
	s.cfg.logger.WithField("plugin", name).WithError(err).Warn("Skipping plugin that could not be activated")
}

// byName sorts plugins by name, each once; a list already so, as Scan
// returns, is checked in one pass.
func byName(ps []*Plugin) []*Plugin {
	increasing := true
	for i := 1; i < len(ps) && increasing; i++ {
		increasing = ps[i-1].Name < ps[i].Name
	}
	if increasing {
		return ps
	}
	cmp := func(a, b *Plugin) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(ps, cmp)
	return slices.CompactFunc(ps, func(a, b *Plugin) bool { return a.Name == b.Name })
}

// scanner is a Registry that can list the names of its plugins without
// resolving them, as LocalRegistry.Scan does.
type scanner interface {
	Scan() ([]string, error)
}

// list returns the registry's plugins for GetAll. When every plugin the
// registry names is activated already, as on every GetAll but the first,
// they come from the cache (and cached is true), as in the engine: listing
// names is one directory read, resolving them one file read per plugin.
func (s *Store) list() (plugins []*Plugin, cached bool, err error) {
	sc, ok := s.registry.(scanner)
	if !ok {
		plugins, err = s.registry.Plugins()
		return plugins, false, err
	}
	names, err := sc.Scan()
	if err != nil {
		return nil, false, err
	}
	out := make([]*Plugin, len(names))
	for i, name := range names {
		v, ok := s.active.Load(name)
		if !ok {
			plugins, err = s.registry.Plugins()
			return plugins, false, err
		}
		out[i] = v.(*Plugin)
	}
	return out, true, nil
}
