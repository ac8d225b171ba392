package sdkplugins_test

import (
	"net/http"
	"testing"

	"github.com/docker/go-plugins-helpers/secrets"
)

// memSecrets serves secret values by name, and refuses a service that is
// not allowed to have them.
type memSecrets map[string]string

func (s memSecrets) Get(r secrets.Request) secrets.Response {
	v, ok := s[r.SecretName]
	switch {
	case !ok:
		return secrets.Response{Err: "secret " + r.SecretName + " not found"}
	case r.SecretLabels["tier"] != r.ServiceLabels["tier"]:
		return secrets.Response{Err: "service " + r.ServiceName + " may not read " + r.SecretName}
	}
	// A value bound to its task must not be reused for another.
	return secrets.Response{Value: []byte(v + "@" + r.TaskName), DoNotReuse: r.ServiceEndpointSpec != nil}
}

func TestSecretsPlugin(t *testing.T) {
	plugin := memSecrets{"db-password": "s3cr3t\x00\xff"}
	req := secrets.Request{
		SecretName: "db-password", SecretLabels: map[string]string{"tier": "db"},
		ServiceName: "web", ServiceID: "svc1", ServiceHostname: "web.local", ServiceLabels: map[string]string{"tier": "db"},
		TaskID: "task1", TaskName: "web.1", TaskImage: "nginx:1.27",
	}
	withEndpoint := req
	withEndpoint.ServiceEndpointSpec = &secrets.EndpointSpec{Mode: 1, Ports: []secrets.PortConfig{{Name: "http", Protocol: 0, TargetPort: 80, PublishedPort: 8080}}}
	otherTier := req
	otherTier.ServiceLabels = map[string]string{"tier": "front"}
	missing := req
	missing.SecretName = "api-key"

	forEachPublication(t, func(t *testing.T, pub publication) {
		p := startPlugin(t, pub, "memsecrets", secrets.NewHandler(plugin), "secretprovider")
		run(t, p.Client, []step{
			{method: "SecretProvider.GetSecret", args: req, want: secrets.Response{Value: []byte("s3cr3t\x00\xff@web.1")}},
			{method: "SecretProvider.GetSecret", args: withEndpoint, want: secrets.Response{Value: []byte("s3cr3t\x00\xff@web.1"), DoNotReuse: true}},
			{
				method: "SecretProvider.GetSecret", args: otherTier,
				wantErr: "SecretProvider.GetSecret: service web may not read db-password", wantStatus: http.StatusInternalServerError,
			},
			{
				method: "SecretProvider.GetSecret", args: missing,
				wantErr: "SecretProvider.GetSecret: secret api-key not found", wantStatus: http.StatusInternalServerError,
			},
		})
	})
}
