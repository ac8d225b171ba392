package authorization_test

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	engineauthz "github.com/docker/docker/pkg/authorization"
	sdkauthz "github.com/docker/go-plugins-helpers/authorization"
	"github.com/go-dockerplugins/plugins/authorization"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// key is a struct field as JSON sees it.
type key struct {
	Name      string
	OmitEmpty bool
	Kind      reflect.Kind
}

// keys lists the JSON keys of a struct type, in order.
func keys(t reflect.Type) []key {
	var out []key
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, key{Name: name, OmitEmpty: strings.Contains(opts, "omitempty"), Kind: f.Type.Kind()})
	}
	return out
}

var marshaler = reflect.TypeOf((*json.Marshaler)(nil)).Elem()

// sameShape checks that two types encode to the same JSON shape: the same
// keys in the same order, omitempty alike, and the same kinds all the way
// down. Types with their own JSON encoding (PeerCertificate) are compared
// by value instead.
func sameShape(t *testing.T, engine, typed reflect.Type) {
	t.Helper()
	require.Equal(t, engine.Kind(), typed.Kind(), "%s and %s", engine, typed)
	if reflect.PointerTo(engine).Implements(marshaler) {
		require.True(t, reflect.PointerTo(typed).Implements(marshaler), "%s has its own JSON encoding, %s has not", engine, typed)
		return
	}
	switch engine.Kind() {
	case reflect.Struct:
		require.Equal(t, keys(engine), keys(typed), "%s and %s", engine, typed)
		for i := 0; i < engine.NumField(); i++ {
			sameShape(t, engine.Field(i).Type, typed.Field(i).Type)
		}
	case reflect.Slice, reflect.Pointer:
		sameShape(t, engine.Elem(), typed.Elem())
	case reflect.Map:
		sameShape(t, engine.Key(), typed.Key())
		sameShape(t, engine.Elem(), typed.Elem())
	}
}

// sameJSON checks that both values marshal to the same bytes, and returns them.
func sameJSON(t *testing.T, engine, typed any) string {
	t.Helper()
	e, err := json.Marshal(engine)
	require.NoError(t, err)
	g, err := json.Marshal(typed)
	require.NoError(t, err)
	require.Equal(t, string(e), string(g))
	return string(e)
}

// sameUnmarshal unmarshals doc into new values of both types and checks
// that both fail, or both hold the same (marshalled again, byte for byte).
func sameUnmarshal(t *testing.T, doc string, engine, typed any) {
	t.Helper()
	e := reflect.New(reflect.TypeOf(engine))
	g := reflect.New(reflect.TypeOf(typed))
	engineErr := json.Unmarshal([]byte(doc), e.Interface())
	typedErr := json.Unmarshal([]byte(doc), g.Interface())
	if engineErr != nil {
		require.Error(t, typedErr, "the engine refuses %s: %v", doc, engineErr)
		return
	}
	require.NoError(t, typedErr, doc)
	sameJSON(t, e.Elem().Interface(), g.Elem().Interface())
}

// The request and answer types against the engine's (and the SDK's, which
// copies them), field by field.
func TestTypesAgainstEngine(t *testing.T) {
	for _, other := range []struct{ request, response reflect.Type }{
		{reflect.TypeOf(engineauthz.Request{}), reflect.TypeOf(engineauthz.Response{})},
		{reflect.TypeOf(sdkauthz.Request{}), reflect.TypeOf(sdkauthz.Response{})},
	} {
		sameShape(t, other.request, reflect.TypeOf(authorization.Request{}))
		sameShape(t, other.response, reflect.TypeOf(authorization.Response{}))
	}

	alice := newCert(t, "alice")
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
	full := sameJSON(t, engineReq, typedReq)
	assert.Contains(t, full, `"RequestUri":`)
	assert.Contains(t, full, `"RequestBody":"AAEC/w=="`)
	assert.Equal(t, "{}", sameJSON(t, engineauthz.Request{}, authorization.Request{}))
	sameJSON(t, engineauthz.Request{RequestHeaders: map[string]string{}, RequestBody: []byte{}}, authorization.Request{RequestHeaders: map[string]string{}, RequestBody: []byte{}})

	assert.Equal(t, `{"Allow":false}`, sameJSON(t, engineauthz.Response{}, authorization.Response{}))
	sameJSON(t, engineauthz.Response{Allow: true, Msg: "m", Err: "e"}, authorization.Response{Allow: true, Msg: "m", Err: "e"})

	for _, doc := range []string{
		full, `{}`, `null`,
		`{"requesturi": "/x", "user": "bob", "responsestatuscode": 204}`,
		`{"RequestPeerCertificates": [null]}`,
		`{"RequestBody": "not base64!"}`,
		`{"RequestBody": null, "RequestHeaders": null}`,
		`{"ResponseStatusCode": "200"}`,
	} {
		sameUnmarshal(t, doc, engineauthz.Request{}, authorization.Request{})
	}
	for _, doc := range []string{
		`{"Allow": true}`, `{"allow": true, "msg": "m", "err": "e"}`, `{"Allow": "yes"}`, `{"Msg": 1}`, `{}`,
	} {
		sameUnmarshal(t, doc, engineauthz.Response{}, authorization.Response{})
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
