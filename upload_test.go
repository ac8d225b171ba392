package plugins_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// hidden hides a reader's type: its length is unknown, so it is sent chunked.
type hidden struct{ io.Reader }

// An answer that arrives during an upload ends it: the call returns the
// answer at once, with no deadline, where writing the rest of the body
// would block until the plugin gives up.
func TestAnAnswerDuringAnUploadEndsIt(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("d"), 64<<20)
	uploads := []struct {
		name string
		send func(c *plugins.Client, out any) error
	}{
		{"SendFile of unknown length", func(c *plugins.Client, out any) error {
			return c.SendFile("X.Upload", hidden{bytes.NewReader(big)}, out)
		}},
		{"SendFile of a *bytes.Reader", func(c *plugins.Client, out any) error {
			return c.SendFile("X.Upload", bytes.NewReader(big), out)
		}},
		{"Call with large arguments", func(c *plugins.Client, out any) error {
			return c.Call("X.Upload", map[string]string{"Data": string(big[:1<<20])}, out)
		}},
	}
	for _, tt := range uploads {
		t.Run(tt.name+" refused", func(t *testing.T) {
			t.Parallel()
			early := pluginstest.New(t).ServeRaw("early", pluginstest.AnswerEarly(http.StatusRequestEntityTooLarge, `{"Err":"too large"}`, 3*time.Second))
			c := newClient(t, early.Addr(), tlsconfig.Options{})
			start := time.Now()
			err := tt.send(c, nil)
			assert.Less(t, time.Since(start), time.Second, "the upload was not ended by the answer")
			var se *plugins.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, http.StatusRequestEntityTooLarge, se.StatusCode)
			assert.EqualError(t, err, "X.Upload: too large")
			assert.Equal(t, 1, early.Requests(), "sent once")
		})
		t.Run(tt.name+" answered", func(t *testing.T) {
			t.Parallel()
			early := pluginstest.New(t).ServeRaw("early", pluginstest.AnswerEarly(http.StatusOK, `{"N": 3}`, 3*time.Second))
			c := newClient(t, early.Addr(), tlsconfig.Options{})
			var out echoArgs
			start := time.Now()
			require.NoError(t, tt.send(c, &out))
			assert.Less(t, time.Since(start), time.Second)
			assert.Equal(t, 3, out.N)
			// The connection the upload was cut on is not used again.
			require.NoError(t, tt.send(c, &out))
			assert.Equal(t, 2, early.Requests())
		})
	}
}

// stalled is a request body that sends a little, then waits for release,
// or 3s (so that a client that waits for it fails the test rather than
// hang it): a producer that stops. It records whether it was closed.
type stalled struct {
	sent    bool
	release chan struct{}
	closed  atomic.Bool
}

func (s *stalled) Read(p []byte) (int, error) {
	if !s.sent {
		s.sent = true
		return copy(p, `{"Name": "`), nil
	}
	select {
	case <-s.release:
	case <-time.After(3 * time.Second):
	}
	return 0, io.ErrUnexpectedEOF
}

// closable is a stalled body that is an io.Closer: closing it ends the
// Read in progress, as closing an io.Pipe or a socket does.
type closable struct{ *stalled }

func (c closable) Close() error {
	if !c.closed.Swap(true) {
		close(c.release)
	}
	return nil
}

// Cancellation ends a SendFile whose reader stalls, on time, even though
// a Read cannot be interrupted; the reader is closed if it can be, and
// nothing is left running once its Read returns. Not parallel: it counts
// goroutines.
func TestCancellationEndsASendFileWhoseReaderStalls(t *testing.T) {
	p := pluginstest.New(t).ServeSocket("p").Handle("X.Echo", echo)
	const bound = 50 * time.Millisecond

	clients := []struct {
		name string
		send func(t *testing.T, body io.Reader) error
	}{
		{"SendFileContext", func(t *testing.T, body io.Reader) error {
			ctx, cancel := context.WithTimeout(context.Background(), bound)
			defer cancel()
			return newClient(t, p.Addr(), tlsconfig.Options{}).SendFileContext(ctx, "X.Echo", body, nil)
		}},
		{"NewClientWithTimeout", func(t *testing.T, body io.Reader) error {
			c, err := plugins.NewClientWithTimeout(p.Addr(), tlsconfig.Options{}, bound)
			require.NoError(t, err)
			t.Cleanup(c.CloseIdleConnections)
			return c.SendFile("X.Echo", body, nil)
		}},
	}
	for _, tt := range clients {
		for _, closer := range []bool{true, false} {
			t.Run(fmt.Sprint(tt.name, " closer=", closer), func(t *testing.T) {
				// Nothing is left running once the Read returns.
				defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
				s := &stalled{release: make(chan struct{})}
				var body io.Reader = s
				if closer {
					body = closable{s}
				}
				start := time.Now()
				err := tt.send(t, body)
				elapsed := time.Since(start)
				require.ErrorIs(t, err, context.DeadlineExceeded)
				assert.Less(t, elapsed, bound+500*time.Millisecond, "the call waited for the stalled Read")
				assert.Equal(t, closer, s.closed.Load(), "an io.Closer is closed when the call returns")
				if !closer {
					close(s.release) // the Read returns by itself
				}
			})
		}
	}
}
