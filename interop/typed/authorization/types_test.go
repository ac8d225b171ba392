package authorization_test

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"testing"

	engineauthz "github.com/docker/docker/pkg/authorization"
	sdkauthz "github.com/docker/go-plugins-helpers/authorization"
	"github.com/go-dockerplugins/plugins/authorization"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/interop/internal/enginetest"
	"github.com/stretchr/testify/assert"
)

// The request and answer types against the engine's (and the SDK's, which
// copies them), field by field.
func TestTypesAgainstEngine(t *testing.T) {
	for _, other := range []struct{ request, response reflect.Type }{
		{reflect.TypeOf(engineauthz.Request{}), reflect.TypeOf(engineauthz.Response{})},
		{reflect.TypeOf(sdkauthz.Request{}), reflect.TypeOf(sdkauthz.Response{})},
	} {
		enginetest.SameShape(t, other.request, reflect.TypeOf(authorization.Request{}))
		enginetest.SameShape(t, other.response, reflect.TypeOf(authorization.Response{}))
	}

	alice := typedtest.NewCert(t, "alice")
	engineReq := engineauthz.Request{
		User: "alice", UserAuthNMethod: "TLS", RequestMethod: "PUT", RequestURI: "/v1.51/containers/web/archive?path=/tmp",
		RequestBody: []byte{0, 1, 2, 0xff}, RequestHeaders: map[string]string{"Content-Type": "application/json"},
		RequestPeerCertificates: []*engineauthz.PeerCertificate{(*engineauthz.PeerCertificate)(alice), nil},
		ResponseStatusCode:      500, ResponseBody: []byte(`{"message":"x"}`), ResponseHeaders: map[string]string{"Content-Length": "15"},
	}
	typedReq := authorization.Request{
		User: "alice", UserAuthNMethod: "TLS", RequestMethod: "PUT", RequestURI: "/v1.51/containers/web/archive?path=/tmp",
		RequestBody: []byte{0, 1, 2, 0xff}, RequestHeaders: map[string]string{"Content-Type": "application/json"},
		RequestPeerCertificates: []*authorization.PeerCertificate{(*authorization.PeerCertificate)(alice), nil},
		ResponseStatusCode:      500, ResponseBody: []byte(`{"message":"x"}`), ResponseHeaders: map[string]string{"Content-Length": "15"},
	}
	full := enginetest.SameJSON(t, engineReq, typedReq)
	assert.Contains(t, full, `"RequestUri":`)
	assert.Contains(t, full, `"RequestBody":"AAEC/w=="`)
	assert.Equal(t, "{}", enginetest.SameJSON(t, engineauthz.Request{}, authorization.Request{}))
	enginetest.SameJSON(t, engineauthz.Request{RequestHeaders: map[string]string{}, RequestBody: []byte{}}, authorization.Request{RequestHeaders: map[string]string{}, RequestBody: []byte{}})

	assert.Equal(t, `{"Allow":false}`, enginetest.SameJSON(t, engineauthz.Response{}, authorization.Response{}))
	enginetest.SameJSON(t, engineauthz.Response{Allow: true, Msg: "m", Err: "e"}, authorization.Response{Allow: true, Msg: "m", Err: "e"})

	for _, doc := range []string{
		full, `{}`, `null`,
		`{"requesturi": "/x", "user": "bob", "responsestatuscode": 204}`,
		`{"RequestPeerCertificates": [null]}`,
		`{"RequestBody": "not base64!"}`,
		`{"RequestBody": null, "RequestHeaders": null}`,
		`{"ResponseStatusCode": "200"}`,
	} {
		enginetest.SameUnmarshal(t, doc, engineauthz.Request{}, authorization.Request{})
	}
	for _, doc := range []string{
		`{"Allow": true}`, `{"allow": true, "msg": "m", "err": "e"}`, `{"Allow": "yes"}`, `{"Msg": 1}`, `{}`,
	} {
		enginetest.SameUnmarshal(t, doc, engineauthz.Response{}, authorization.Response{})
	}
}

// A certificate that is not PEM: the engine's (and the SDK's) decoder
// panics; the typed one returns an error.
func TestPeerCertificateNotPEM(t *testing.T) {
	doc := `{"RequestPeerCertificates": ["` + base64.StdEncoding.EncodeToString([]byte("not PEM")) + `"]}`
	assert.Panics(t, func() {
		var r engineauthz.Request
		_ = json.Unmarshal([]byte(doc), &r)
	})
	var r authorization.Request
	assert.EqualError(t, json.Unmarshal([]byte(doc), &r), "peer certificate: no PEM data")
}
