package pluginstest

import (
	"fmt"
	"sync"
)

// Scope is a TB for code outside tests, such as examples and demos: Cleanup
// collects functions that Close runs, last added first, and Fatalf panics
// with an error. The zero value is ready to use.
type Scope struct {
	mu  sync.Mutex
	fns []func()
}

// Helper does nothing; it is part of TB.
func (*Scope) Helper() {}

// Cleanup registers fn to run on Close.
func (s *Scope) Cleanup(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fns = append(s.fns, fn)
}

// Fatalf panics with an error formatted from its arguments.
func (*Scope) Fatalf(format string, args ...any) {
	panic(fmt.Errorf(format, args...))
}

// Close runs the registered functions, last added first, once each.
func (s *Scope) Close() {
	s.mu.Lock()
	fns := s.fns
	s.fns = nil
	s.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}
