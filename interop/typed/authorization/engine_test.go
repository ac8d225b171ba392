package authorization_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	engineauthz "github.com/docker/docker/pkg/authorization"
	"github.com/go-dockerplugins/plugins/authorization"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/interop/internal/enginetest"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const pluginName = "typedauthz"

// fixture serves the fake plugin and makes typed clients of it.
var fixture = typedtest.Fixture[*authorization.Client]{Name: pluginName, Interface: authorization.Interface, FromPlugin: authorization.FromPlugin}

// pair is one fake plugin, called by the engine's middleware and by the
// typed client.
type pair struct {
	fake  *pluginstest.Plugin
	typed *authorization.Client
	// serve runs an API request through the engine's middleware, with a
	// handler that answers 201 with a JSON body, and returns the
	// middleware's error.
	serve func(r *http.Request) error
}

// newPair serves the fake plugin and an engine middleware that uses it.
// The engine's plugin getter is global: tests of this package run one at a
// time.
func newPair(t *testing.T) pair {
	t.Helper()
	fake, typed, client := enginetest.Serve(t, fixture)
	// The engine's plugin store, reduced to the one plugin, which the
	// middleware gets as a v1 client.
	getter := &enginetest.Getter{Plugin: enginetest.NewV1Plugin(pluginName, "", client), Capability: authorization.Interface}
	mw := engineauthz.NewMiddleware([]string{pluginName}, getter)
	handler := mw.WrapHandler(func(_ context.Context, w http.ResponseWriter, _ *http.Request, _ map[string]string) error {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Api-Version", "1.51")
		w.WriteHeader(http.StatusCreated)
		_, err := io.WriteString(w, `{"Id":"c0ffee","Warnings":[]}`)
		return err
	})
	return pair{fake: fake, typed: typed, serve: func(r *http.Request) error {
		return handler(context.Background(), httptest.NewRecorder(), r, nil)
	}}
}

// apiRequest is the API request the engine is asked to authorize.
func apiRequest(certs ...*x509.Certificate) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/v1.51/containers/create?name=web", strings.NewReader(`{"Image":"alpine:3.20"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "Docker-Client/28.5.2 (linux)")
	r.Header.Set("Authorization", "Bearer secret")
	r.Header.Set("X-Registry-Auth", "e30=")
	r.Header.Add("X-Trace", "first")
	r.Header.Add("X-Trace", "last")
	if len(certs) > 0 {
		r.TLS = &tls.ConnectionState{PeerCertificates: certs}
	}
	return r
}

// The engine's requests for one API request, and the typed client's for
// the same API request, described as the typed package's documentation
// says the engine describes it: the same bytes.
func TestEngineRequests(t *testing.T) {
	alice, ca := typedtest.NewCert(t, "alice"), typedtest.NewCert(t, "ca")
	anonymous := typedtest.NewCert(t, "")
	tests := []struct {
		name  string
		certs []*x509.Certificate
		user  string
	}{
		{"no TLS", nil, ""},
		{"client certificates", []*x509.Certificate{alice, ca}, "alice"},
		{"a certificate without a common name", []*x509.Certificate{anonymous}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pp := newPair(t)
			pp.fake.Handle("AuthZPlugin.AuthZReq", pluginstest.Reply(authorization.Response{Allow: true})).
				Handle("AuthZPlugin.AuthZRes", pluginstest.Reply(authorization.Response{Allow: true}))
			require.NoError(t, pp.serve(apiRequest(tt.certs...)))

			req := authorization.Request{
				User:           tt.user,
				RequestMethod:  "POST",
				RequestURI:     "/v1.51/containers/create?name=web",
				RequestBody:    []byte(`{"Image":"alpine:3.20"}`),
				RequestHeaders: map[string]string{"Content-Type": "application/json", "User-Agent": "Docker-Client/28.5.2 (linux)", "X-Trace": "last"},
			}
			if len(tt.certs) > 0 {
				req.UserAuthNMethod = "TLS"
			}
			for _, c := range tt.certs {
				req.RequestPeerCertificates = append(req.RequestPeerCertificates, (*authorization.PeerCertificate)(c))
			}
			ctx := context.Background()
			_, err := pp.typed.AuthZReq(ctx, req)
			require.NoError(t, err)
			req.ResponseStatusCode = http.StatusCreated
			req.ResponseBody = []byte(`{"Id":"c0ffee","Warnings":[]}`)
			req.ResponseHeaders = map[string]string{"Content-Type": "application/json", "Api-Version": "1.51"}
			_, err = pp.typed.AuthZRes(ctx, req)
			require.NoError(t, err)

			for _, m := range []string{"AuthZPlugin.AuthZReq", "AuthZPlugin.AuthZRes"} {
				calls := pp.fake.Calls(m)
				require.Len(t, calls, 2, m)
				enginetest.SameRequest(t, calls[0], calls[1])
			}
		})
	}
}

// What the engine decides on each answer, and what the typed client
// returns: a denial is an answer, Err in a 200 answer changes nothing, and
// a failed call is the engine's error less its "plugin <name> failed with
// error: ".
func TestEngineDecisions(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		handler   http.Handler
		engineErr string
		want      authorization.Response // when the typed client returns no error
		typedErr  string
		status    int // of the typed client's *plugins.StatusError
		eof       bool
	}{
		{name: "allowed", method: "AuthZPlugin.AuthZReq", handler: typedtest.Raw(`{"Allow": true}`), want: authorization.Response{Allow: true}},
		{
			name: "denied", method: "AuthZPlugin.AuthZReq", handler: typedtest.Raw(`{"Allow": false, "Msg": "read only"}`),
			engineErr: "authorization denied by plugin " + pluginName + ": read only", want: authorization.Response{Msg: "read only"},
		},
		{
			name: "allowed with Err", method: "AuthZPlugin.AuthZReq", handler: typedtest.Raw(`{"Allow": true, "Err": "ignored"}`),
			want: authorization.Response{Allow: true, Err: "ignored"},
		},
		{
			name: "Err alone is a denial without a message", method: "AuthZPlugin.AuthZReq", handler: typedtest.Raw(`{"Err": "cannot decide"}`),
			engineErr: "authorization denied by plugin " + pluginName + ": ", want: authorization.Response{Err: "cannot decide"},
		},
		{
			name: "another status", method: "AuthZPlugin.AuthZReq", handler: pluginstest.ReplyError(http.StatusInternalServerError, "crashed"),
			engineErr: "plugin " + pluginName + " failed with error: AuthZPlugin.AuthZReq: crashed", typedErr: "AuthZPlugin.AuthZReq: crashed", status: 500,
		},
		{
			name: "not implemented", method: "AuthZPlugin.AuthZReq", handler: http.NotFoundHandler(),
			engineErr: "plugin " + pluginName + " failed with error: AuthZPlugin.AuthZReq: 404 page not found\n", typedErr: "AuthZPlugin.AuthZReq: 404 page not found\n", status: 404,
		},
		{
			name: "an empty answer", method: "AuthZPlugin.AuthZReq", handler: typedtest.Raw(""),
			engineErr: "plugin " + pluginName + " failed with error: EOF", eof: true,
		},
		{
			name: "response denied", method: "AuthZPlugin.AuthZRes", handler: typedtest.Raw(`{"Msg": "secret"}`),
			engineErr: "authorization denied by plugin " + pluginName + ": secret", want: authorization.Response{Msg: "secret"},
		},
		{
			name: "response check failed", method: "AuthZPlugin.AuthZRes", handler: pluginstest.ReplyError(http.StatusInternalServerError, "crashed"),
			engineErr: "plugin " + pluginName + " failed with error: AuthZPlugin.AuthZRes: crashed", typedErr: "AuthZPlugin.AuthZRes: crashed", status: 500,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pp := newPair(t)
			pp.fake.Handle("AuthZPlugin.AuthZReq", pluginstest.Reply(authorization.Response{Allow: true})).
				Handle("AuthZPlugin.AuthZRes", pluginstest.Reply(authorization.Response{Allow: true})).
				Handle(tt.method, tt.handler)
			engineErr := pp.serve(apiRequest())
			if tt.engineErr == "" {
				require.NoError(t, engineErr)
			} else {
				require.EqualError(t, engineErr, tt.engineErr)
			}

			call := pp.typed.AuthZReq
			if tt.method == "AuthZPlugin.AuthZRes" {
				call = pp.typed.AuthZRes
			}
			resp, err := call(context.Background(), authorization.Request{RequestMethod: "POST"})
			switch {
			case tt.eof:
				assert.ErrorIs(t, err, io.EOF)
			case tt.typedErr != "":
				typedtest.FailedWithStatus(t, err, tt.status, tt.typedErr)
				assert.Equal(t, "plugin "+pluginName+" failed with error: "+err.Error(), engineErr.Error())
			default:
				require.NoError(t, err)
				assert.Equal(t, tt.want, resp)
			}
		})
	}
}
