package authorization_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/authorization"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture serves an authorization plugin and makes typed clients of it.
var fixture = typedtest.Fixture[*authorization.Client]{Name: "authz", Interface: authorization.Interface, FromPlugin: authorization.FromPlugin}

// method is one of the interface's methods, through the typed client.
type method struct {
	name string
	call func(*authorization.Client, context.Context, authorization.Request) (authorization.Response, error)
}

var methods = []method{
	{"AuthZPlugin.AuthZReq", (*authorization.Client).AuthZReq},
	{"AuthZPlugin.AuthZRes", (*authorization.Client).AuthZRes},
}

// pemJSON is a certificate as the engine sends it: its PEM text, base64.
func pemJSON(c *x509.Certificate) string {
	return `"` + base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})) + `"`
}

func TestFromPlugin(t *testing.T) {
	require.NotNil(t, fixture.CheckFromPlugin(t))
	assert.Equal(t, "authz", authorization.Interface, "the manifest name, not the path prefix")
}

// The request as sent: the engine's JSON, every empty key left out.
func TestRequestJSON(t *testing.T) {
	cert := typedtest.NewCert(t, "alice")
	tests := []struct {
		name string
		req  authorization.Request
		want string
	}{
		{"empty", authorization.Request{}, `{}`},
		{
			name: "an API request",
			req: authorization.Request{
				User:                    "alice",
				UserAuthNMethod:         "TLS",
				RequestMethod:           "POST",
				RequestURI:              "/v1.51/containers/create?name=web",
				RequestBody:             []byte(`{"Image":"alpine"}`),
				RequestHeaders:          map[string]string{"Content-Type": "application/json", "User-Agent": "Docker-Client/28.5.2"},
				RequestPeerCertificates: []*authorization.PeerCertificate{(*authorization.PeerCertificate)(cert)},
			},
			want: `{"User":"alice","UserAuthNMethod":"TLS","RequestMethod":"POST","RequestUri":"/v1.51/containers/create?name=web",` +
				`"RequestBody":"eyJJbWFnZSI6ImFscGluZSJ9","RequestHeaders":{"Content-Type":"application/json","User-Agent":"Docker-Client/28.5.2"},` +
				`"RequestPeerCertificates":[` + pemJSON(cert) + `]}`,
		},
		{
			name: "with its response",
			req: authorization.Request{
				RequestMethod:      "GET",
				RequestURI:         "/v1.51/info",
				ResponseStatusCode: 200,
				ResponseBody:       []byte(`{"ID":"x"}`),
				ResponseHeaders:    map[string]string{"Api-Version": "1.51", "Content-Type": "application/json"},
			},
			want: `{"RequestMethod":"GET","RequestUri":"/v1.51/info","ResponseStatusCode":200,"ResponseBody":"eyJJRCI6IngifQ==",` +
				`"ResponseHeaders":{"Api-Version":"1.51","Content-Type":"application/json"}}`,
		},
		{
			name: "empty maps and slices are left out, as by the engine",
			req:  authorization.Request{RequestBody: []byte{}, RequestHeaders: map[string]string{}, RequestPeerCertificates: []*authorization.PeerCertificate{}},
			want: `{}`,
		},
	}
	for _, m := range methods {
		for _, tt := range tests {
			t.Run(m.name+"/"+tt.name, func(t *testing.T) {
				c, fake := fixture.Serve(t)
				fake.Handle(m.name, pluginstest.Reply(authorization.Response{Allow: true}))
				resp, err := m.call(c, context.Background(), tt.req)
				require.NoError(t, err)
				assert.True(t, resp.Allow)
				req := typedtest.OnlyRequest(t, fake, m.name)
				assert.Equal(t, tt.want+"\n", string(req.Body))
				assert.Equal(t, "/"+m.name, req.Path)
			})
		}
	}
}

// A 200 answer is the plugin's decision, never an error: the engine
// ignores Err in it.
func TestAnswers(t *testing.T) {
	tests := []struct {
		name   string
		answer string
		want   authorization.Response
	}{
		{"allowed", `{"Allow": true}`, authorization.Response{Allow: true}},
		{"denied", `{"Allow": false, "Msg": "read only"}`, authorization.Response{Msg: "read only"}},
		{"Allow absent is a denial", `{"Msg": "no"}`, authorization.Response{Msg: "no"}},
		{"Err with a denial is no error", `{"Err": "cannot decide"}`, authorization.Response{Err: "cannot decide"}},
		{"Err with Allow is no error", `{"Allow": true, "Err": "ignored"}`, authorization.Response{Allow: true, Err: "ignored"}},
		{"keys match case-insensitively, unknown keys are dropped", `{"allow": true, "msg": "ok", "Extra": 1}`, authorization.Response{Allow: true, Msg: "ok"}},
	}
	for _, m := range methods {
		for _, tt := range tests {
			t.Run(m.name+"/"+tt.name, func(t *testing.T) {
				c, fake := fixture.Serve(t)
				fake.Handle(m.name, typedtest.Raw(tt.answer))
				resp, err := m.call(c, context.Background(), authorization.Request{RequestMethod: "GET"})
				require.NoError(t, err)
				assert.Equal(t, tt.want, resp)
			})
		}
	}
}

func TestErrors(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			c, fake := fixture.Serve(t)
			ctx := context.Background()

			// The plugin SDK's answer when its plugin sets Err.
			fake.Handle(m.name, pluginstest.Reply(authorization.Response{Err: "no user"}))
			fake.Inject(pluginstest.Fault{Method: m.name, Times: 1, Status: http.StatusInternalServerError, Err: "no user"})
			_, err := m.call(c, ctx, authorization.Request{})
			typedtest.StatusError(t, err, http.StatusInternalServerError, m.name+": no user", "the engine then reports \"plugin <name> failed with error: \" and this")
			assert.False(t, typedtest.IsAnswerError(err), "not an error inside a 200 answer")

			// Neither method is optional.
			fake.Handle(m.name, http.NotFoundHandler())
			_, err = m.call(c, ctx, authorization.Request{})
			typedtest.NotFound(t, err, m.name)

			// An empty 200 answer does not decode, as in the engine.
			fake.HandleFunc(m.name, func(http.ResponseWriter, *http.Request) {})
			_, err = m.call(c, ctx, authorization.Request{})
			assert.ErrorIs(t, err, io.EOF)
		})
	}
}

// The engine sets no timeout on these calls: only the context bounds them.
func TestNoTimeout(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			c, fake := fixture.Serve(t)
			fake.Handle(m.name, pluginstest.Reply(authorization.Response{Allow: true}))
			fake.Inject(pluginstest.Fault{Method: m.name, Delay: 300 * time.Millisecond})

			resp, err := m.call(c, context.Background(), authorization.Request{})
			require.NoError(t, err, "a slow answer without a deadline")
			assert.True(t, resp.Allow)

			typedtest.EndsAtDeadline(t, 50*time.Millisecond, 250*time.Millisecond+time.Second/2, func(ctx context.Context) error {
				_, err := m.call(c, ctx, authorization.Request{})
				return err
			})
		})
	}
}

func TestPeerCertificateJSON(t *testing.T) {
	cert := typedtest.NewCert(t, "bob")
	b, err := json.Marshal((*authorization.PeerCertificate)(cert))
	require.NoError(t, err)
	assert.JSONEq(t, pemJSON(cert), string(b))

	var pc authorization.PeerCertificate
	require.NoError(t, json.Unmarshal(b, &pc))
	assert.Equal(t, cert.Raw, pc.Raw)
	assert.Equal(t, "bob", pc.Subject.CommonName)

	var req authorization.Request
	require.NoError(t, json.Unmarshal([]byte(`{"RequestPeerCertificates": [`+string(b)+`, null]}`), &req))
	require.Len(t, req.RequestPeerCertificates, 2)
	assert.Equal(t, cert.Raw, req.RequestPeerCertificates[0].Raw)
	assert.Nil(t, req.RequestPeerCertificates[1])

	for _, bad := range []string{
		`"` + base64.StdEncoding.EncodeToString([]byte("not PEM")) + `"`, // the engine's decoder panics here
		`"` + base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")})) + `"`,
		`42`,
	} {
		assert.Error(t, json.Unmarshal([]byte(bad), &pc), bad)
	}
}

// A plugin's answer, encoded with these types, is the engine's: Allow is
// always there, Msg and Err only when set.
func TestResponseJSON(t *testing.T) {
	for _, tt := range []struct {
		resp authorization.Response
		want string
	}{
		{authorization.Response{}, `{"Allow":false}`},
		{authorization.Response{Allow: true, Msg: "ok", Err: "e"}, `{"Allow":true,"Msg":"ok","Err":"e"}`},
	} {
		b, err := json.Marshal(tt.resp)
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(b))
	}
}
