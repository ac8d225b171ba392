package secrets_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/docker/go-plugins-helpers/sdk"
	sdksecrets "github.com/docker/go-plugins-helpers/secrets"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/go-dockerplugins/plugins/secrets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memSecrets is a secret provider built with the SDK: it serves values by
// name to services of the secret's tier, and records the requests the SDK
// decoded for it.
type memSecrets struct {
	mu     sync.Mutex
	values map[string]string
	reqs   []sdksecrets.Request
}

func (s *memSecrets) Get(r sdksecrets.Request) sdksecrets.Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, r)
	v, ok := s.values[r.SecretName]
	switch {
	case !ok:
		return sdksecrets.Response{Err: "secret " + r.SecretName + " not found"}
	case r.SecretLabels["tier"] != r.ServiceLabels["tier"]:
		// DoNotReuse is lost: the SDK answers 500 to any Err.
		return sdksecrets.Response{Err: "service " + r.ServiceName + " may not read " + r.SecretName, DoNotReuse: true}
	}
	return sdksecrets.Response{Value: []byte(v + "@" + r.TaskName), DoNotReuse: r.ServiceEndpointSpec != nil}
}

// failedWithStatus checks that err is the error of an answer with status
// and the text given, of the method as the engine names it.
func failedWithStatus(t *testing.T, err error, status int, text string) {
	t.Helper()
	se := typedtest.FailedWithStatus(t, err, status, text)
	assert.Equal(t, "/SecretProvider.GetSecret", se.Method)
}

// GetSecret against the SDK's own server: the SDK decodes every field the
// client sends but NodeID, which its Request lacks, and the client reads
// what the SDK answers, successes and failures.
func TestSDK(t *testing.T) {
	ctx := context.Background()
	plugin := &memSecrets{values: map[string]string{"db-password": "s3cr3t\x00\xff"}}
	c := plugintest.ServeSDK(t, "memsecrets", secrets.Interface, sdksecrets.NewHandler(plugin), secrets.FromPlugin)

	req := secrets.Request{
		SecretName: "db-password", SecretLabels: map[string]string{"tier": "db"},
		ServiceHostname: "web.local", ServiceID: "svc1", ServiceName: "web", ServiceLabels: map[string]string{"tier": "db"},
		TaskID: "task1", TaskName: "web.1.task1", TaskImage: "nginx:1.27", NodeID: "node1",
	}
	got, err := c.GetSecret(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, secrets.Response{Value: []byte("s3cr3t\x00\xff@web.1.task1")}, got)
	require.NoError(t, secrets.ValidateValue(got.Value))

	withEndpoint := req
	withEndpoint.ServiceEndpointSpec = &secrets.EndpointSpec{Mode: secrets.ResolutionModeDNSRR, Ports: []secrets.PortConfig{
		{Name: "http", Protocol: secrets.ProtocolSCTP, TargetPort: 80, PublishedPort: 8080, PublishMode: secrets.PublishModeHost},
		{TargetPort: 443},
	}}
	got, err = c.GetSecret(ctx, withEndpoint)
	require.NoError(t, err)
	assert.Equal(t, secrets.Response{Value: []byte("s3cr3t\x00\xff@web.1.task1"), DoNotReuse: true}, got)

	otherTier := req
	otherTier.ServiceLabels = map[string]string{"tier": "front"}
	got, err = c.GetSecret(ctx, otherTier)
	failedWithStatus(t, err, http.StatusInternalServerError, "/SecretProvider.GetSecret: service web may not read db-password")
	assert.False(t, got.DoNotReuse, "a 500 answer is not read: DoNotReuse is lost, as in the engine")

	missing := req
	missing.SecretName = "api-key"
	_, err = c.GetSecret(ctx, missing)
	failedWithStatus(t, err, http.StatusInternalServerError, "/SecretProvider.GetSecret: secret api-key not found")

	sdkReq := sdksecrets.Request{
		SecretName: "db-password", SecretLabels: map[string]string{"tier": "db"},
		ServiceHostname: "web.local", ServiceName: "web", ServiceID: "svc1", ServiceLabels: map[string]string{"tier": "db"},
		TaskID: "task1", TaskName: "web.1.task1", TaskImage: "nginx:1.27",
	}
	sdkWithEndpoint := sdkReq
	sdkWithEndpoint.ServiceEndpointSpec = &sdksecrets.EndpointSpec{Mode: 1, Ports: []sdksecrets.PortConfig{
		{Name: "http", Protocol: 2, TargetPort: 80, PublishedPort: 8080, PublishMode: 1},
		{TargetPort: 443},
	}}
	sdkOtherTier := sdkReq
	sdkOtherTier.ServiceLabels = map[string]string{"tier": "front"}
	sdkMissing := sdkReq
	sdkMissing.SecretName = "api-key"
	plugin.mu.Lock()
	defer plugin.mu.Unlock()
	assert.Equal(t, []sdksecrets.Request{sdkReq, sdkWithEndpoint, sdkOtherTier, sdkMissing}, plugin.reqs, "what the SDK decoded")
}

// A plugin built on the SDK's bare handler does not serve GetSecret: Go's
// ServeMux answers 404, an error, since the method is not optional.
func TestSDKNotImplemented(t *testing.T) {
	c := plugintest.ServeSDK(t, "memsecrets", secrets.Interface, sdk.NewHandler(`{"Implements": ["secretprovider"]}`), secrets.FromPlugin)
	_, err := c.GetSecret(context.Background(), secrets.Request{SecretName: "s"})
	failedWithStatus(t, err, http.StatusNotFound, "/SecretProvider.GetSecret: 404 page not found\n")
}
