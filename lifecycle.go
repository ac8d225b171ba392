package plugins

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Forget drops the plugin called name from the store's cache and closes
// its idle connections, and reports whether it was there. Calls holding
// its Client go on as before: those in progress end as they would have,
// and later ones on that Client still reach the plugin at its address (or
// wherever the store finds it again). The next Get looks the plugin up and
// activates it anew, and the handlers of its interfaces run again for the
// new activation: it may be another process, or another plugin of the same
// name, whose drivers must be registered again with the new Client.
// An activation in progress is not stopped.
func (s *Store) Forget(name string) bool {
	v, ok := s.active.LoadAndDelete(name)
	if ok {
		v.(*Plugin).Client.CloseIdleConnections()
	}
	return ok
}

// Close closes the store: activations in progress are stopped, every
// connection of every plugin it activated is closed (calls in progress on
// them end with an error matching ErrClientClosed), and Get and GetAll
// then fail with an error matching ErrStoreClosed. It returns once the
// activations have ended; it always returns nil.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	flights := make([]*flight, 0, len(s.flights))
	for _, f := range s.flights {
		f.cancel()
		flights = append(flights, f)
	}
	s.mu.Unlock()
	for _, f := range flights {
		<-f.done
	}
	s.active.Range(func(name, v any) bool {
		s.active.Delete(name)
		_ = v.(*Plugin).Client.Close()
		return true
	})
	return nil
}

// find looks the plugin called name up once, for a client of the store
// whose plugin could not be reached at its address.
func (s *Store) find(name string) (*Plugin, error) {
	return s.registry.Plugin(name)
}

// moved records that the plugin whose client is c is now where p says:
// the next Get returns it with its new address.
func (s *Store) moved(c *Client, p *Plugin) {
	v, ok := s.active.Load(c.plugin)
	if !ok {
		return
	}
	old := v.(*Plugin)
	if old.Client != c {
		return
	}
	next := *old
	next.Addr, next.TLSConfig, next.source = p.Addr, p.TLSConfig, p.source
	s.active.CompareAndSwap(c.plugin, old, &next)
}

// gone forgets the plugin whose client is c, no longer found: the next Get
// looks it up anew rather than returning the plugin that went away.
func (s *Store) gone(c *Client) {
	if v, ok := s.active.Load(c.plugin); ok && v.(*Plugin).Client == c {
		s.active.CompareAndDelete(c.plugin, v)
	}
}

// Health is what checking a plugin found.
type Health struct {
	// Name is the plugin's name, and Addr where it was reached.
	Name, Addr string
	// Took is how long the handshake took, connecting included.
	Took time.Duration
	// Implements is what the plugin's answer lists.
	Implements []string
	// Err is why the plugin did not answer its handshake; nil if it did.
	Err error
}

// OK reports whether the plugin answered.
func (h Health) OK() bool { return h.Err == nil }

// Check sends the plugin called name its handshake now, once, with no
// back-off retry (only the resend at once that replaces a kept-alive
// connection found dead), and says how it went: over its client if the store activated
// it, else over a client of its own that is closed afterwards. It neither
// activates the plugin nor changes the cache.
func (s *Store) Check(ctx context.Context, name string) Health {
	h := Health{Name: name}
	c, cached := s.clientOf(name)
	if !cached {
		desc, err := s.registry.Plugin(name)
		if err != nil {
			h.Err = err
			return h
		}
		if c, err = newClient(desc.Addr, desc.TLSConfig, name, s.cfg); err != nil {
			h.Err = err
			return h
		}
		defer func() { _ = c.Close() }()
	}
	h.Addr = c.target.Load().addr
	o := c.opts()
	o.once, o.noResend = true, false
	var m Manifest
	start := time.Now()
	h.Err = c.call(ctx, "Plugin.Activate", nil, &m, o)
	h.Took = time.Since(start)
	h.Implements = m.Implements
	return h
}

// clientOf returns the client of the plugin called name, if activated.
func (s *Store) clientOf(name string) (*Client, bool) {
	if v, ok := s.active.Load(name); ok {
		return v.(*Plugin).Client, true
	}
	return nil, false
}

// CheckAll checks every plugin the store activated, in parallel, and
// returns their health sorted by name.
func (s *Store) CheckAll(ctx context.Context) []Health {
	var names []string
	s.active.Range(func(name, _ any) bool {
		names = append(names, name.(string))
		return true
	})
	slices.Sort(names)
	out := make([]Health, len(names))
	sem := make(chan struct{}, maxParallelDials)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = s.Check(ctx, name)
		}()
	}
	wg.Wait()
	return out
}

// String describes the health in one line: the plugin, its address, and
// what it implements or why it did not answer.
func (h Health) String() string {
	if h.Err != nil {
		return fmt.Sprintf("%s (%s): %v", h.Name, h.Addr, h.Err)
	}
	return fmt.Sprintf("%s (%s): ok in %v, implements %s", h.Name, h.Addr, h.Took.Round(time.Microsecond), strings.Join(h.Implements, ", "))
}
