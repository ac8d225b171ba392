// Package authorization_test checks the typed authorization client against
// the plugin SDK's own server (go-plugins-helpers/authorization) and against
// the engine's authorization middleware (pkg/authorization), driven with
// the same API requests.
package authorization_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	sdkauthz "github.com/docker/go-plugins-helpers/authorization"
	"github.com/docker/go-plugins-helpers/sdk"
	"github.com/go-dockerplugins/plugins/authorization"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is an SDK plugin that records the requests it decoded and
// answers with the next answer queued.
type recorder struct {
	mu       sync.Mutex
	requests []sdkauthz.Request
	answers  []sdkauthz.Response
}

func (r *recorder) answer(req sdkauthz.Request) sdkauthz.Response {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, req)
	a := r.answers[0]
	r.answers = r.answers[1:]
	return a
}

func (r *recorder) AuthZReq(req sdkauthz.Request) sdkauthz.Response { return r.answer(req) }
func (r *recorder) AuthZRes(req sdkauthz.Request) sdkauthz.Response { return r.answer(req) }

// Every method through the typed client, served by the SDK: what the SDK
// decodes is what was sent, and its answers, denials and errors arrive as
// the engine would see them.
func TestSDKServer(t *testing.T) {
	alice, ca := typedtest.NewCert(t, "alice"), typedtest.NewCert(t, "ca")
	request := authorization.Request{
		User:            "alice",
		UserAuthNMethod: "TLS",
		RequestMethod:   "POST",
		RequestURI:      "/v1.51/containers/create?name=web",
		RequestBody:     []byte(`{"Image":"alpine:3.20","Cmd":["sh"]}`),
		RequestHeaders:  map[string]string{"Content-Type": "application/json", "User-Agent": "Docker-Client/28.5.2 (linux)"},
		RequestPeerCertificates: []*authorization.PeerCertificate{
			(*authorization.PeerCertificate)(alice), (*authorization.PeerCertificate)(ca),
		},
	}
	response := request
	response.ResponseStatusCode = http.StatusCreated
	response.ResponseBody = []byte(`{"Id":"c0ffee","Warnings":[]}`)
	response.ResponseHeaders = map[string]string{"Content-Type": "application/json", "Api-Version": "1.51"}

	plugin := &recorder{answers: []sdkauthz.Response{
		{Allow: true},
		{Msg: "alice may not create containers"},
		{Allow: true, Err: "cannot decide"}, // the SDK answers 500 whenever Err is set
		{Allow: true, Msg: "fine"},
		{Err: "no such user"},
	}}
	c := plugintest.ServeSDK(t, "sdkauthz", authorization.Interface, sdkauthz.NewHandler(plugin), authorization.FromPlugin)
	ctx := context.Background()

	resp, err := c.AuthZReq(ctx, request)
	require.NoError(t, err)
	assert.Equal(t, authorization.Response{Allow: true}, resp)

	resp, err = c.AuthZReq(ctx, request)
	require.NoError(t, err, "a denial is an answer, not an error")
	assert.Equal(t, authorization.Response{Msg: "alice may not create containers"}, resp)

	_, err = c.AuthZReq(ctx, request)
	typedtest.StatusError(t, err, http.StatusInternalServerError, "AuthZPlugin.AuthZReq: cannot decide", "the engine reports a failure, not a denial")
	assert.False(t, typedtest.IsAnswerError(err))

	resp, err = c.AuthZRes(ctx, response)
	require.NoError(t, err)
	assert.Equal(t, authorization.Response{Allow: true, Msg: "fine"}, resp)

	_, err = c.AuthZRes(ctx, response)
	typedtest.StatusError(t, err, http.StatusInternalServerError, "AuthZPlugin.AuthZRes: no such user")
	assert.False(t, typedtest.IsAnswerError(err))

	// What the SDK decoded.
	require.Len(t, plugin.requests, 5)
	for i, got := range plugin.requests {
		want := request
		if i >= 3 {
			want = response
		}
		assert.Equal(t, want.User, got.User)
		assert.Equal(t, want.UserAuthNMethod, got.UserAuthNMethod)
		assert.Equal(t, want.RequestMethod, got.RequestMethod)
		assert.Equal(t, want.RequestURI, got.RequestURI)
		assert.Equal(t, want.RequestBody, got.RequestBody)
		assert.Equal(t, want.RequestHeaders, got.RequestHeaders)
		require.Len(t, got.RequestPeerCertificates, 2)
		assert.Equal(t, alice.Raw, got.RequestPeerCertificates[0].Raw)
		assert.Equal(t, ca.Raw, got.RequestPeerCertificates[1].Raw)
		assert.Equal(t, "alice", got.RequestPeerCertificates[0].Subject.CommonName)
		assert.Equal(t, want.ResponseStatusCode, got.ResponseStatusCode)
		assert.Equal(t, want.ResponseBody, got.ResponseBody)
		assert.Equal(t, want.ResponseHeaders, got.ResponseHeaders)
	}
}

// An SDK server without the methods (the SDK's bare handler, with the
// authz manifest): the SDK's 404, which no method of the interface accepts.
func TestSDKNotFound(t *testing.T) {
	c := plugintest.ServeSDK(t, "bare", authorization.Interface, sdk.NewHandler(`{"Implements": ["authz"]}`), authorization.FromPlugin)
	for name, call := range map[string]func(context.Context, authorization.Request) (authorization.Response, error){
		"AuthZPlugin.AuthZReq": c.AuthZReq,
		"AuthZPlugin.AuthZRes": c.AuthZRes,
	} {
		_, err := call(context.Background(), authorization.Request{RequestMethod: "GET", RequestURI: "/_ping"})
		typedtest.FailedWithStatus(t, err, http.StatusNotFound, name+": 404 page not found\n")
	}
}
