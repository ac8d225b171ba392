package sdkplugins_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/docker/go-plugins-helpers/authorization"
)

// readOnlyAuthz lets authenticated users read, and only admin change
// anything; it refuses to decide for an unauthenticated request.
type readOnlyAuthz struct{}

func (readOnlyAuthz) AuthZReq(r authorization.Request) authorization.Response {
	switch {
	case r.User == "":
		return authorization.Response{Err: "authorization plugin: no user in request to " + r.RequestURI}
	case r.RequestMethod == http.MethodGet || r.User == "admin":
		return authorization.Response{Allow: true}
	default:
		return authorization.Response{Msg: r.User + " may not " + r.RequestMethod + " " + r.RequestURI + describeBody(r.RequestBody)}
	}
}

func (readOnlyAuthz) AuthZRes(r authorization.Request) authorization.Response {
	if r.ResponseStatusCode == http.StatusOK && strings.Contains(string(r.ResponseBody), "secret") {
		return authorization.Response{Msg: "response to " + r.User + " holds a secret"}
	}
	return authorization.Response{Allow: true}
}

// describeBody shows that the request body reached the plugin intact.
func describeBody(b []byte) string {
	var body struct{ Image string }
	if json.Unmarshal(b, &body) != nil || body.Image == "" {
		return ""
	}
	return " (image " + body.Image + ")"
}

func TestAuthorizationPlugin(t *testing.T) {
	headers := map[string]string{"Content-Type": "application/json", "User-Agent": "Docker-Client/28.5.2 (linux)"}
	forEachPublication(t, func(t *testing.T, pub publication) {
		p := startPlugin(t, pub, "readonly", authorization.NewHandler(readOnlyAuthz{}), authorization.AuthZApiImplements)
		run(t, p.Client, []step{
			{method: authorization.AuthZApiRequest, args: authorization.Request{
				User: "alice", UserAuthNMethod: "TLS", RequestMethod: "GET", RequestURI: "/v1.51/containers/json", RequestHeaders: headers,
			}, want: authorization.Response{Allow: true}},
			// A denial is a 200 answer: the engine shows Msg to the user.
			{method: authorization.AuthZApiRequest, args: authorization.Request{
				User: "alice", RequestMethod: "POST", RequestURI: "/v1.51/containers/create", RequestHeaders: headers,
				RequestBody: []byte(`{"Image":"alpine:3.20","Cmd":["sh"]}`),
			}, want: authorization.Response{Msg: "alice may not POST /v1.51/containers/create (image alpine:3.20)"}},
			{method: authorization.AuthZApiRequest, args: authorization.Request{
				User: "admin", RequestMethod: "DELETE", RequestURI: "/v1.51/containers/c0ffee?force=1",
			}, want: authorization.Response{Allow: true}},
			{method: authorization.AuthZApiResponse, args: authorization.Request{
				User: "alice", RequestMethod: "GET", RequestURI: "/v1.51/info",
				ResponseStatusCode: 200, ResponseBody: []byte(`{"Name":"host"}`), ResponseHeaders: headers,
			}, want: authorization.Response{Allow: true}},
			{method: authorization.AuthZApiResponse, args: authorization.Request{
				User: "alice", RequestMethod: "GET", RequestURI: "/v1.51/secrets",
				ResponseStatusCode: 200, ResponseBody: []byte(`[{"Spec":{"Name":"secret"}}]`),
			}, want: authorization.Response{Msg: "response to alice holds a secret"}},
			// A plugin that cannot decide answers 500 with Err.
			{
				method: authorization.AuthZApiRequest, args: authorization.Request{RequestMethod: "GET", RequestURI: "/_ping"},
				wantErr:    "AuthZPlugin.AuthZReq: authorization plugin: no user in request to /_ping",
				wantStatus: http.StatusInternalServerError,
			},
		})
	})
}
