package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-dockerplugins/plugins"
)

const (
	// callDefaultTimeout bounds call and inspect when --timeout is not
	// given: as long as the library keeps retrying a plugin it cannot reach,
	// so that a plugin that never answers is not waited for forever.
	callDefaultTimeout = plugins.DefaultRetryBudget
	// quietBeforeNotice is how long plugctl waits for a plugin in silence
	// before saying so: a plugin that answers at all usually does sooner.
	quietBeforeNotice = 2 * time.Second
)

// pluginRef names a plugin and, when known, its address.
func pluginRef(name, addr string) string {
	if addr == "" {
		return fmt.Sprintf("plugin %q", name)
	}
	return fmt.Sprintf("plugin %q (%s)", name, addr)
}

// watch times a wait for plugin name at addr to answer what (Plugin.Activate
// or the method called). Once stderr has been silent for a.quietFor since
// the wait began, it says once what has not answered, so that a plugin that
// hangs is not taken for plugctl hanging; a line printed meanwhile (a retry)
// starts the silence over. Nothing is printed once stop has returned.
func (a *app) watch(name, addr, what string) (stop func()) {
	start := time.Now()
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTimer(a.quietFor)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			select {
			case <-done: // the answer came as the timer fired
				return
			default:
			}
			msg := fmt.Sprintf("plugctl: waiting for %s: no answer to %s after %v\n",
				pluginRef(name, addr), what, waited(time.Since(start)))
			written, retryAt := a.stderr.writeAfterSilence(start, a.quietFor, msg)
			if written {
				return
			}
			t.Reset(time.Until(retryAt))
		}
	}()
	return func() {
		close(done)
		<-ended
	}
}

// waited rounds a wait down, so that the usual silence line reads "after
// 2s" rather than "after 2.01s".
func waited(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Truncate(time.Millisecond)
	}
	return d.Truncate(100 * time.Millisecond)
}

// noAnswer rewrites err, when the deadline ended the wait, to say which
// plugin did not answer what within which bound: the library's own text
// names neither the address nor the bound.
func (a *app) noAnswer(err error, name, addr, what string) error {
	if !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg := fmt.Sprintf("%s: %s: %s", pluginRef(name, addr), what, brief(err, a.retryBudget(a.defaultTimeout)))
	return &noAnswerError{msg: msg, err: err}
}

// noAnswerError is the error of a plugin that did not answer in time; it
// still matches context.DeadlineExceeded.
type noAnswerError struct {
	msg string
	err error
}

func (e *noAnswerError) Error() string { return e.msg }
func (e *noAnswerError) Unwrap() error { return e.err }
