package pluginstest

import (
	"net/http"
	"time"
)

// Fault is how a plugin misbehaves instead of answering a call normally.
// Its effects apply in order: Delay, then Drop or Status; a Fault with a
// Delay only delays the normal answer.
type Fault struct {
	// Method is the service method it affects, e.g. "VolumeDriver.Mount";
	// empty means every method, Plugin.Activate included.
	Method string
	// Times is how many calls it affects before it is spent; zero or less
	// means every call until ClearFaults.
	Times int
	// Delay is how long to wait before answering (or dropping). A stopped
	// plugin or a client that gives up ends the wait without an answer.
	Delay time.Duration
	// Drop closes the connection without an answer.
	Drop bool
	// Status, when not zero, is the status of the answer, with Err as its
	// message ({"Err": "..."}), as a plugin reports a failure.
	Status int
	// Err is the message of an answer with Status.
	Err string
}

// Inject adds a fault. Faults apply in the order they were added: a call
// gets the first one that matches its method and is not spent.
func (p *Plugin) Inject(f Fault) *Plugin {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &f)
	return p
}

// ClearFaults removes every fault.
func (p *Plugin) ClearFaults() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = nil
}

// takeFault returns the fault for a call of method, counting the call
// against it; p.mu must be held.
func (p *Plugin) takeFault(method string) *Fault {
	for i, f := range p.faults {
		if f.Method != "" && f.Method != method {
			continue
		}
		out := *f
		if f.Times > 0 {
			if f.Times--; f.Times == 0 {
				p.faults = append(p.faults[:i:i], p.faults[i+1:]...)
			}
		}
		return &out
	}
	return nil
}

// apply acts the fault out and reports whether the call should still get
// its normal answer.
func (f *Fault) apply(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return false
		case <-stop:
			panic(http.ErrAbortHandler) // end the call without an answer
		}
	}
	switch {
	case f.Drop:
		// net/http closes the connection without answering, silently.
		panic(http.ErrAbortHandler)
	case f.Status != 0:
		ReplyError(f.Status, f.Err).ServeHTTP(w, r)
		return false
	}
	return true
}
