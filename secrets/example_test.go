package secrets_test

import (
	"context"
	"fmt"

	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/go-dockerplugins/plugins/secrets"
)

// A swarm manager fetches a secret's value for a task through a typed
// client, and checks it as the engine does.
func Example() {
	var scope pluginstest.Scope // a test passes its *testing.T instead
	defer scope.Close()
	env := pluginstest.New(&scope)
	env.ServeSocket("vault", secrets.Interface).
		Handle("SecretProvider.GetSecret", pluginstest.Func(func(req secrets.Request) (any, error) {
			if req.ServiceLabels["tier"] != "db" {
				return secrets.Response{Err: "service " + req.ServiceName + " may not read " + req.SecretName}, nil
			}
			return secrets.Response{Value: []byte("s3cr3t"), DoNotReuse: true}, nil
		}))

	p, err := env.Store().Get("vault", secrets.Interface)
	if err != nil {
		fmt.Println(err)
		return
	}
	sp, err := secrets.FromPlugin(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	resp, err := sp.GetSecret(ctx, secrets.Request{SecretName: "db-password", ServiceName: "db", ServiceLabels: map[string]string{"tier": "db"}})
	fmt.Printf("%s %v %v %v\n", resp.Value, resp.DoNotReuse, err, secrets.ValidateValue(resp.Value))

	_, err = sp.GetSecret(ctx, secrets.Request{SecretName: "db-password", ServiceName: "web"})
	fmt.Println(err)
	// Output:
	// s3cr3t true <nil> <nil>
	// service web may not read db-password
}
