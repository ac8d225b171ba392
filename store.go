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

// maxParallelActivations bounds the connections GetAll opens at once.
const maxParallelActivations = 64

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

	hmu       sync.Mutex
	handlers  []handler // append-only
	nhandlers atomic.Int64
}

type handler struct {
	iface string
	fn    func(string, *Client)
}

// flight is one activation in progress, shared by every caller that asks
// for the plugin meanwhile. It runs detached from any one caller and is
// cancelled when the last caller waiting for it gives up.
type flight struct {
	done    chan struct{}
	p       *Plugin
	err     error
	waiters int   // guarded by Store.mu
	last    error // the failure being retried, if any; guarded by Store.mu
	cancel  context.CancelFunc
}

// NewStore returns a Store that finds plugins through r (a nil r means
// NewLocalRegistry()), configured by opts.
func NewStore(r Registry, opts ...Option) *Store {
	if r == nil {
		r = NewLocalRegistry()
	}
	return &Store{registry: r, cfg: newConfig(opts), flights: make(map[string]*flight)}
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
// errors.Is(err, ctx.Err()).
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
	s.mu.Lock()
	if v, ok := s.active.Load(name); ok { // activated since the lock-free check
		s.mu.Unlock()
		return v.(*Plugin), nil
	}
	f := s.flights[name]
	if f == nil {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), cancel: cancel}
		// Callers that give up say what the activation was retrying.
		fctx = withRetryNote(fctx, func(err error) {
			s.mu.Lock()
			f.last = err
			s.mu.Unlock()
		})
		s.flights[name] = f
		go s.fly(fctx, name, desc, f)
	}
	f.waiters++
	s.mu.Unlock()

	select {
	case <-f.done:
		return f.p, f.err
	case <-ctx.Done():
		s.mu.Lock()
		if f.waiters--; f.waiters == 0 {
			f.cancel()
			if s.flights[name] == f {
				delete(s.flights, name)
			}
		}
		last := f.last
		s.mu.Unlock()
		return nil, fmt.Errorf("plugin %q: waiting for activation: %w", name, contextError(ctx, last))
	}
}

// fly looks the plugin up and activates it, then publishes the result.
func (s *Store) fly(ctx context.Context, name string, desc *Plugin, f *flight) {
	p, err := s.activate(ctx, name, desc)
	s.mu.Lock()
	if s.flights[name] == f {
		delete(s.flights, name)
	}
	if err == nil {
		// An abandoned flight may have finished first: keep one plugin per name.
		if v, loaded := s.active.LoadOrStore(name, p); loaded {
			p.Client.CloseIdleConnections()
			p = v.(*Plugin)
		}
	}
	s.mu.Unlock()
	f.cancel()
	f.p, f.err = p, err
	close(f.done)
}

// activate finds the plugin (unless desc describes it), then sends the
// /Plugin.Activate handshake and records the manifest.
func (s *Store) activate(ctx context.Context, name string, desc *Plugin) (*Plugin, error) {
	if desc == nil {
		var err error
		if desc, err = s.lookup(ctx, name); err != nil {
			return nil, err
		}
	}
	p := &Plugin{Name: name, Addr: desc.Addr, TLSConfig: desc.TLSConfig, source: desc.source, state: &pluginState{}}
	c, err := newClient(p.Addr, p.TLSConfig, name, s.cfg)
	if err != nil {
		return nil, fmt.Errorf("plugin %q: %w", name, err)
	}
	m := new(Manifest)
	if err := c.CallContext(ctx, "Plugin.Activate", nil, m); err != nil {
		c.CloseIdleConnections()
		var se *StatusError
		if errors.As(err, &se) { // the bare status error names only the method
			err = fmt.Errorf("plugin %q (%s): %w", name, p.Addr, err)
		}
		return nil, err
	}
	p.Client, p.Manifest = c, m
	return p, nil
}

// lookup asks the registry for name, retrying within the lookup budget
// while it is not found; other failures are returned at once.
func (s *Store) lookup(ctx context.Context, name string) (*Plugin, error) {
	var desc *Plugin
	err := s.cfg.retry(ctx, s.cfg.lookupBudget, RetryEvent{Plugin: name}, func() (bool, error) {
		d, err := s.registry.Plugin(name)
		switch {
		case err != nil:
			return errors.Is(err, ErrNotFound) && !errors.Is(err, ErrInvalidName), err
		case d == nil:
			return false, fmt.Errorf("plugin %q: registry returned no plugin and no error", name)
		}
		desc = d
		return false, nil
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
// The error is the registry's, when it cannot list plugins.
func (s *Store) GetAllContext(ctx context.Context, imp string) ([]*Plugin, error) {
	descs, cached, err := s.list()
	if err != nil {
		return nil, err
	}
	if cached { // all activated: nothing to wait for
		out := descs[:0]
		for _, p := range descs {
			s.handled(p)
			if p.Implements(imp) {
				out = append(out, p)
			}
		}
		return byName(out), nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.getAllTimeout)
	defer cancel()

	loaded := make([]*Plugin, len(descs))
	sem := make(chan struct{}, maxParallelActivations)
	var wg sync.WaitGroup
	for i, d := range descs {
		if d == nil {
			continue
		}
		if _, ok := s.active.Load(d.Name); ok {
			loaded[i], _ = s.load(ctx, d.Name, d)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			select {
			case sem <- struct{}{}:
				loaded[i], err = s.load(ctx, d.Name, d)
				<-sem
			case <-ctx.Done():
				err = fmt.Errorf("plugin %q: waiting for activation: %w", d.Name, ctx.Err())
			}
			if err != nil {
				s.cfg.logger.WithField("plugin", d.Name).WithError(err).Warn("Skipping plugin that could not be activated")
			}
		}()
	}
	wg.Wait()

	return byName(slices.DeleteFunc(loaded, func(p *Plugin) bool { return p == nil || !p.Implements(imp) })), nil
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
