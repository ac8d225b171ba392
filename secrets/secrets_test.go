package secrets_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/go-dockerplugins/plugins/secrets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// method is the service method as pluginstest records it: the path without
// its leading slash.
const method = "SecretProvider.GetSecret"

// fixture serves a secret provider and makes typed clients of it.
var fixture = typedtest.Fixture[*secrets.Client]{Name: "vault", Interface: secrets.Interface, FromPlugin: secrets.FromPlugin}

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
	// RunExchanges checks the path too: one leading slash, whatever the name.
	var exchanges []typedtest.Exchange[*secrets.Client]
	for _, tt := range tests {
		exchanges = append(exchanges, typedtest.Exchange[*secrets.Client]{
			Name: tt.name, Method: method, Body: tt.body, Answer: tt.answer, Want: tt.want,
			Call: func(ctx context.Context, c *secrets.Client) (any, error) { return c.GetSecret(ctx, tt.req) },
		})
	}
	fixture.RunExchanges(t, exchanges)
}

// An Err in a 200 answer is the error, verbatim (as docker v29.1 and later
// have it), with the answer as read.
func TestErrInAnswer(t *testing.T) {
	const msg = "access denied: 100% of %s refused"
	c, fp := fixture.Serve(t)
	fp.Handle(method, typedtest.Raw(`{"Err":"`+msg+`","DoNotReuse":true,"Value":"eA=="}`))
	got, err := c.GetSecret(context.Background(), full)
	typedtest.AnswerError(t, err, plugins.AnswerError{Method: "/SecretProvider.GetSecret", Message: msg})
	assert.False(t, typedtest.IsStatusError(err))
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
			c, fp := fixture.Serve(t)
			if tt.fault != nil {
				fp.Handle(method, typedtest.Raw(`{}`)).Inject(*tt.fault)
			}
			_, err := c.GetSecret(context.Background(), full)
			se := typedtest.StatusError(t, err, tt.status, tt.want, "the method as the engine names it, leading slash included")
			assert.Equal(t, "/SecretProvider.GetSecret", se.Method)
			assert.Equal(t, tt.notFound, plugins.IsNotFound(err))
			assert.False(t, typedtest.IsAnswerError(err))
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
		scheduled, _, err := fixture.RetryScheduled(context.Background(), t, method, time.Hour, 2*time.Hour, func(ctx context.Context, c *secrets.Client) error {
			_, err := c.GetSecret(ctx, full)
			return err
		})
		assert.ErrorIs(t, err, context.Canceled)
		assert.True(t, scheduled, "a retry an hour later is within the call's time")
	})
	t.Run("the context's deadline", func(t *testing.T) {
		c, fp := fixture.Serve(t)
		fp.Handle(method, typedtest.Raw(`{}`)).Inject(pluginstest.Fault{Method: method, Delay: time.Minute})
		typedtest.EndsAtDeadline(t, 200*time.Millisecond, 5*time.Second, func(ctx context.Context) error {
			_, err := c.GetSecret(ctx, full)
			return err
		})
	})
}

func TestFromPlugin(t *testing.T) {
	env := pluginstest.New(t)
	env.ServeSocket("upper", "SecretProvider") // the prefix, not the manifest name
	env.ServeSocket("vault", secrets.Interface).Handle(method, typedtest.Raw(`{"Value":"eA=="}`))

	err := fixture.FromOther(t, env, "upper", "SecretProvider")
	require.ErrorIs(t, err, plugins.ErrNotImplements)
	assert.EqualError(t, err, `Plugin does not implement the requested driver: plugin="upper", requested implementation="secretprovider"`)

	p, err := env.Store().Get("vault", secrets.Interface)
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
