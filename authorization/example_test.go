package authorization_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/go-dockerplugins/plugins/authorization"
	"github.com/go-dockerplugins/plugins/pluginstest"
)

// A daemon asks an authorization plugin about each API request and acts on
// its decision as the engine does.
func Example() {
	var scope pluginstest.Scope // a test passes its *testing.T instead
	defer scope.Close()
	env := pluginstest.New(&scope)
	env.ServeSocket("readonly", authorization.Interface).
		Handle("AuthZPlugin.AuthZReq", pluginstest.Func(func(req authorization.Request) (any, error) {
			if req.RequestMethod == http.MethodGet {
				return authorization.Response{Allow: true}, nil
			}
			return authorization.Response{Msg: req.User + " may only read"}, nil
		}))

	p, err := env.Store().Get("readonly", authorization.Interface)
	if err != nil {
		fmt.Println(err)
		return
	}
	authz, err := authorization.FromPlugin(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, method := range []string{"GET", "DELETE"} {
		resp, err := authz.AuthZReq(context.Background(), authorization.Request{
			User: "alice", UserAuthNMethod: "TLS", RequestMethod: method, RequestURI: "/v1.51/containers/web",
		})
		switch {
		case err != nil:
			fmt.Printf("plugin %s failed with error: %v\n", p.Name, err)
		case !resp.Allow:
			fmt.Printf("authorization denied by plugin %s: %s\n", p.Name, resp.Msg)
		default:
			fmt.Println(method, "allowed")
		}
	}
	// Output:
	// GET allowed
	// authorization denied by plugin readonly: alice may only read
}
