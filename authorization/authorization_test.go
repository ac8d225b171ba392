package authorization_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/authorization"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serve serves an authorization plugin and returns a typed client for it.
func serve(t *testing.T) (*authorization.Client, *pluginstest.Plugin) {
	t.Helper()
	env := pluginstest.New(t)
	fake := env.ServeSocket("authz", authorization.Interface)
	p, err := env.Store().Get("authz", authorization.Interface)
	require.NoError(t, err)
	c, err := authorization.FromPlugin(p)
	require.NoError(t, err)
	return c, fake
}

// method is one of the interface's methods, through the typed client.
type method struct {
	name string
	call func(*authorization.Client, context.Context, authorization.Request) (authorization.Response, error)
}

var methods = []method{
	{"AuthZPlugin.AuthZReq", (*authorization.Client).AuthZReq},
	{"AuthZPlugin.AuthZRes", (*authorization.Client).AuthZRes},
}

// newCert returns a self-signed certificate for common name cn.
func newCert(t *testing.T, cn string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Unix(0, 0).Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert
}

// pemJSON is a certificate as the engine sends it: its PEM text, base64.
func pemJSON(c *x509.Certificate) string {
	return `"` + base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})) + `"`
}

func TestFromPlugin(t *testing.T) {
	env := pluginstest.New(t)
	env.ServeSocket("authz", authorization.Interface)
	env.ServeSocket("vol", "VolumeDriver")

	p, err := env.Store().Get("authz", authorization.Interface)
	require.NoError(t, err)
	c, err := authorization.FromPlugin(p)
	require.NoError(t, err)
	require.NotNil(t, c)

	p, err = env.Store().Get("vol", "VolumeDriver")
	require.NoError(t, err)
	_, err = authorization.FromPlugin(p)
	assert.ErrorIs(t, err, plugins.ErrNotImplements)
	assert.Equal(t, "authz", authorization.Interface, "the manifest name, not the path prefix")
}

// The request as sent: the engine's JSON, every empty key left out.
func TestRequestJSON(t *testing.T) {
	cert := newCert(t, "alice")
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
				c, fake := serve(t)
				fake.Handle(m.name, pluginstest.Reply(authorization.Response{Allow: true}))
				resp, err := m.call(c, context.Background(), tt.req)
				require.NoError(t, err)
				assert.True(t, resp.Allow)
				calls := fake.Calls(m.name)
				require.Len(t, calls, 1)
				assert.Equal(t, tt.want+"\n", string(calls[0].Body))
				assert.Equal(t, "/"+m.name, calls[0].Path)
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
				c, fake := serve(t)
				fake.HandleFunc(m.name, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, tt.answer) })
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
			c, fake := serve(t)
			ctx := context.Background()

			// The plugin SDK's answer when its plugin sets Err.
			fake.Handle(m.name, pluginstest.Reply(authorization.Response{Err: "no user"}))
			fake.Inject(pluginstest.Fault{Method: m.name, Times: 1, Status: http.StatusInternalServerError, Err: "no user"})
			_, err := m.call(c, ctx, authorization.Request{})
			require.EqualError(t, err, m.name+": no user", "the engine then reports \"plugin <name> failed with error: \" and this")
			var se *plugins.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, http.StatusInternalServerError, se.StatusCode)
			var ae *plugins.AnswerError
			assert.False(t, errors.As(err, &ae), "not an error inside a 200 answer")

			// Neither method is optional.
			fake.Handle(m.name, http.NotFoundHandler())
			_, err = m.call(c, ctx, authorization.Request{})
			assert.True(t, plugins.IsNotFound(err), "%v", err)
			assert.EqualError(t, err, m.name+": 404 page not found\n")

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
			c, fake := serve(t)
			fake.Handle(m.name, pluginstest.Reply(authorization.Response{Allow: true}))
			fake.Inject(pluginstest.Fault{Method: m.name, Delay: 300 * time.Millisecond})

			resp, err := m.call(c, context.Background(), authorization.Request{})
			require.NoError(t, err, "a slow answer without a deadline")
			assert.True(t, resp.Allow)

			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err = m.call(c, ctx, authorization.Request{})
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, time.Since(start), 250*time.Millisecond+time.Second/2)
		})
	}
}

func TestPeerCertificateJSON(t *testing.T) {
	cert := newCert(t, "bob")
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
