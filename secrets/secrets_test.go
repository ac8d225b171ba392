package secrets_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/go-dockerplugins/plugins/secrets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// method is the service method as pluginstest records it: the path without
// its leading slash.
const method = "SecretProvider.GetSecret"

// serve serves a secret provider and returns a typed client of it, through
// the environment's store configured by opts.
func serve(t *testing.T, opts ...plugins.StoreOption) (*secrets.Client, *pluginstest.Plugin) {
	t.Helper()
	env := pluginstest.New(t, opts...)
	fp := env.ServeSocket("vault", secrets.Interface)
	p, err := env.Store().Get("vault", secrets.Interface)
	require.NoError(t, err)
	c, err := secrets.FromPlugin(p)
	require.NoError(t, err)
	return c, fp
}

// raw answers 200 with body as it is.
func raw(body string) http.Handler { return pluginstest.Reply(json.RawMessage(body)) }

// full is a request with every field set.
var full = secrets.Request{
	SecretName:      "db-password",
	SecretLabels:    map[string]string{"tier": "db"},
	ServiceHostname: "web.local",
	ServiceID:       "svc1",
	ServiceName:     "web",
	ServiceLabels:   map[string]string{"tier": "db", "team": "a"},
	TaskID:          "task1",
	TaskName:        "web.1.task1",
	TaskImage:       "nginx:1.27",
	NodeID:          "node1",
	ServiceEndpointSpec: &secrets.EndpointSpec{Mode: secrets.ResolutionModeDNSRR, Ports: []secrets.PortConfig{
		{Name: "http", Protocol: secrets.ProtocolUDP, TargetPort: 80, PublishedPort: 8080, PublishMode: secrets.PublishModeHost},
	}},
}

func TestGetSecret(t *testing.T) {
	tests := []struct {
		name   string
		req    secrets.Request
		body   string // the request as the engine sends it
		answer string
		want   secrets.Response
	}{
		{
			name: "every field", req: full,
			body: `{"SecretName":"db-password","SecretLabels":{"tier":"db"},"ServiceHostname":"web.local",` +
				`"ServiceID":"svc1","ServiceName":"web","ServiceLabels":{"team":"a","tier":"db"},"TaskID":"task1",` +
				`"TaskName":"web.1.task1","TaskImage":"nginx:1.27","NodeID":"node1","ServiceEndpointSpec":{"Mode":1,` +
				`"Ports":[{"Name":"http","Protocol":1,"TargetPort":80,"PublishedPort":8080,"PublishMode":1}]}}`,
			answer: `{"Value":"czNjcjN0AP8=","DoNotReuse":true}`,
			want:   secrets.Response{Value: []byte("s3cr3t\x00\xff"), DoNotReuse: true},
		},
		{
			name: "empty: every key is left out", body: `{}`,
			answer: `{"Value":"eA=="}`, want: secrets.Response{Value: []byte("x")},
		},
		{
			name: "empty maps and zero values are left out",
			req: secrets.Request{SecretName: "s", SecretLabels: map[string]string{}, ServiceLabels: map[string]string{},
				ServiceEndpointSpec: &secrets.EndpointSpec{Ports: []secrets.PortConfig{{}}}},
			body:   `{"SecretName":"s","ServiceEndpointSpec":{"Ports":[{}]}}`,
			answer: `{"Value":"eA==","Err":"","DoNotReuse":false}`, want: secrets.Response{Value: []byte("x")},
		},
		{
			name: "an endpoint of zero values", req: secrets.Request{ServiceEndpointSpec: &secrets.EndpointSpec{}},
			body: `{"ServiceEndpointSpec":{}}`, answer: `{}`, want: secrets.Response{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fp := serve(t)
			fp.Handle(method, raw(tt.answer))
			got, err := c.GetSecret(context.Background(), tt.req)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			calls := fp.Calls(method)
			require.Len(t, calls, 1)
			assert.Equal(t, "/SecretProvider.GetSecret", calls[0].Path, "one leading slash, whatever the name")
			assert.Equal(t, tt.body+"\n", string(calls[0].Body), "the request, byte for byte as the engine sends it")
		})
	}
}

// An Err in a 200 answer is the error, verbatim (as docker v29.1 and later
// have it), with the answer as read.
func TestErrInAnswer(t *testing.T) {
	const msg = "access denied: 100% of %s refused"
	c, fp := serve(t)
	fp.Handle(method, raw(`{"Err":"`+msg+`","DoNotReuse":true,"Value":"eA=="}`))
	got, err := c.GetSecret(context.Background(), full)
	require.EqualError(t, err, msg)
	var ae *plugins.AnswerError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "/SecretProvider.GetSecret", ae.Method)
	assert.Equal(t, msg, ae.Message)
	assert.Empty(t, ae.Prefix)
	var se *plugins.StatusError
	assert.False(t, errors.As(err, &se))
	assert.True(t, got.DoNotReuse, "the engine returns DoNotReuse with the error")
}

func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		name     string
		fault    *pluginstest.Fault // nil: no handler, 404
		want     string
		status   int
		notFound bool
	}{
		{
			name:  "500 from the SDK",
			fault: &pluginstest.Fault{Method: method, Status: http.StatusInternalServerError, Err: "secret db-password not found"},
			want:  "/SecretProvider.GetSecret: secret db-password not found", status: http.StatusInternalServerError,
		},
		{
			name: "404: not implemented, and not optional",
			want: "/SecretProvider.GetSecret: 404 page not found\n", status: http.StatusNotFound, notFound: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fp := serve(t)
			if tt.fault != nil {
				fp.Handle(method, raw(`{}`)).Inject(*tt.fault)
			}
			_, err := c.GetSecret(context.Background(), full)
			require.EqualError(t, err, tt.want, "the method as the engine names it, leading slash included")
			var se *plugins.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.status, se.StatusCode)
			assert.Equal(t, "/SecretProvider.GetSecret", se.Method)
			assert.Equal(t, tt.notFound, plugins.IsNotFound(err))
			var ae *plugins.AnswerError
			assert.False(t, errors.As(err, &ae))
		})
	}
}

// The engine sets no timeout for secret providers: only the context's
// deadline bounds a call.
//
// The absence of a timeout is seen without waiting for one: the plugin drops
// every connection, so the call retries after an hour's back-off wait, and
// the client never schedules a retry that would start after the call's
// deadline. The retry is scheduled (the observer sees it, and ends the call)
// unless a deadline comes first.
func TestTimeout(t *testing.T) {
	t.Run("none without a deadline", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var scheduled atomic.Bool
		c, fp := serve(t,
			plugins.WithBackoff(func(int) time.Duration { return time.Hour }),
			plugins.WithCallRetryBudget(2*time.Hour),
			plugins.WithRetryObserver(func(ev plugins.RetryEvent) {
				if ev.Wait > 0 {
					scheduled.Store(true)
					cancel()
				}
			}))
		fp.Inject(pluginstest.Fault{Method: method, Drop: true})
		_, err := c.GetSecret(ctx, full)
		assert.ErrorIs(t, err, context.Canceled)
		assert.True(t, scheduled.Load(), "a retry an hour later is within the call's time")
	})
	t.Run("the context's deadline", func(t *testing.T) {
		c, fp := serve(t)
		fp.Handle(method, raw(`{}`)).Inject(pluginstest.Fault{Method: method, Delay: time.Minute})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.GetSecret(ctx, full)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
	})
}

func TestFromPlugin(t *testing.T) {
	env := pluginstest.New(t)
	env.ServeSocket("upper", "SecretProvider") // the prefix, not the manifest name
	env.ServeSocket("vault", secrets.Interface).Handle(method, raw(`{"Value":"eA=="}`))

	p, err := env.Store().Get("upper", "SecretProvider")
	require.NoError(t, err)
	_, err = secrets.FromPlugin(p)
	require.ErrorIs(t, err, plugins.ErrNotImplements)
	assert.EqualError(t, err, `Plugin does not implement the requested driver: plugin="upper", requested implementation="secretprovider"`)

	p, err = env.Store().Get("vault", secrets.Interface)
	require.NoError(t, err)
	got, err := secrets.NewClient(p.Client).GetSecret(context.Background(), secrets.Request{SecretName: "s"})
	require.NoError(t, err)
	assert.Equal(t, []byte("x"), got.Value)
}

func TestValidateValue(t *testing.T) {
	const refused = "secret data must be larger than 0 and less than 512000 bytes"
	tests := []struct {
		size int
		err  string
	}{
		{0, refused},
		{1, ""},
		{secrets.MaxValueSize - 1, ""},
		{secrets.MaxValueSize, refused},
	}
	for _, tt := range tests {
		err := secrets.ValidateValue([]byte(strings.Repeat("x", tt.size)))
		if tt.err == "" {
			assert.NoError(t, err, "%d bytes", tt.size)
		} else {
			assert.EqualError(t, err, tt.err, "%d bytes", tt.size)
		}
	}
	assert.EqualError(t, secrets.ValidateValue(nil), refused)
}
