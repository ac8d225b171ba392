package secrets_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	engine "github.com/docker/docker/pkg/plugins"
	sdksecrets "github.com/docker/go-plugins-helpers/secrets"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/interop/internal/enginetest"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/go-dockerplugins/plugins/secrets"
	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/manager/drivers"
	"github.com/moby/swarmkit/v2/node/plugin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// swarmPlugin is a legacy plugin as the engine's plugin adapter hands it to
// swarmkit: the engine's own client.
type swarmPlugin struct{ client *engine.Client }

func (swarmPlugin) Name() string               { return "vault" }
func (swarmPlugin) ScopedPath(s string) string { return s }
func (p swarmPlugin) Client() plugin.Client    { return p.client }

// fixture serves the plugin and makes typed clients of it.
var fixture = typedtest.Fixture[*secrets.Client]{Name: "vault", Interface: secrets.Interface, FromPlugin: secrets.FromPlugin}

// input is a secret and the task that uses it, as the swarm manager has
// them, and the request a daemon makes of them with this package.
type input struct {
	name string
	spec api.SecretSpec
	task api.Task
	req  secrets.Request
}

func container(image, hostname string) api.TaskSpec {
	return api.TaskSpec{Runtime: &api.TaskSpec_Container{Container: &api.ContainerSpec{Image: image, Hostname: hostname}}}
}

var inputs = []input{
	{
		name: "every field",
		spec: api.SecretSpec{Annotations: api.Annotations{Name: "db-password", Labels: map[string]string{"tier": "db", "<&>": "é"}}},
		task: api.Task{
			ID: "task1", ServiceID: "svc1", NodeID: "node1", Slot: 3, Spec: container("nginx:1.27", "web.local"),
			ServiceAnnotations: api.Annotations{Name: "web", Labels: map[string]string{"tier": "db", "team": "a"}},
			Endpoint: &api.Endpoint{Spec: &api.EndpointSpec{Mode: api.ResolutionModeDNSRoundRobin, Ports: []*api.PortConfig{
				{Name: "http", Protocol: api.ProtocolUDP, TargetPort: 80, PublishedPort: 8080, PublishMode: api.PublishModeHost},
				nil, // skipped by the engine
				{Protocol: api.ProtocolSCTP, TargetPort: 443},
			}}},
		},
		req: secrets.Request{
			SecretName: "db-password", SecretLabels: map[string]string{"tier": "db", "<&>": "é"},
			ServiceHostname: "web.local", ServiceID: "svc1", ServiceName: "web", ServiceLabels: map[string]string{"tier": "db", "team": "a"},
			TaskID: "task1", TaskName: "web.3.task1", TaskImage: "nginx:1.27", NodeID: "node1",
			ServiceEndpointSpec: &secrets.EndpointSpec{Mode: secrets.ResolutionModeDNSRR, Ports: []secrets.PortConfig{
				{Name: "http", Protocol: secrets.ProtocolUDP, TargetPort: 80, PublishedPort: 8080, PublishMode: secrets.PublishModeHost},
				{Protocol: secrets.ProtocolSCTP, TargetPort: 443},
			}},
		},
	},
	{
		name: "the least: no labels, no hostname, no endpoint",
		spec: api.SecretSpec{Annotations: api.Annotations{Name: "s"}},
		task: api.Task{ID: "t", Annotations: api.Annotations{Name: "named-task"}, Spec: container("", "")},
		req:  secrets.Request{SecretName: "s", TaskID: "t", TaskName: "named-task"},
	},
	{
		name: "an endpoint of zero values",
		spec: api.SecretSpec{Annotations: api.Annotations{Name: "s", Labels: map[string]string{}}},
		task: api.Task{
			ID: "t", NodeID: "n", Spec: container("busybox", ""), ServiceAnnotations: api.Annotations{Name: "svc"},
			Endpoint: &api.Endpoint{Spec: &api.EndpointSpec{Ports: []*api.PortConfig{{}}}},
		},
		req: secrets.Request{
			SecretName: "s", SecretLabels: map[string]string{}, ServiceName: "svc", TaskID: "t", TaskName: "svc.n.t",
			TaskImage: "busybox", NodeID: "n", ServiceEndpointSpec: &secrets.EndpointSpec{Ports: []secrets.PortConfig{{}}},
		},
	},
	{
		name: "an endpoint without ports",
		spec: api.SecretSpec{Annotations: api.Annotations{Name: "s"}},
		task: api.Task{ID: "t", Slot: 1, Spec: container("busybox", ""), Endpoint: &api.Endpoint{Spec: &api.EndpointSpec{}}},
		req: secrets.Request{
			SecretName: "s", TaskID: "t", TaskName: ".1.t", TaskImage: "busybox",
			ServiceEndpointSpec: &secrets.EndpointSpec{},
		},
	},
}

// outcome is what the swarm manager gets of a call: the value, whether to
// reuse it, and the error's text.
type outcome struct {
	Value      []byte
	DoNotReuse bool
	Err        string
}

// GetSecret sends the bytes the engine's secret driver (swarmkit's, as
// vendored in docker v28.5.2) sends for the same secret and task, and gets
// what the engine gets of each answer, with the same error text; except
// that an Err with a % in it is used verbatim, as docker v29.1 and later
// do, where v28.5.2 takes it for a format.
func TestEngineAgrees(t *testing.T) {
	answers := []struct {
		name    string
		handler http.Handler
		// oursErr and engineErr are the error texts where they differ.
		oursErr, engineErr string
		// decodeFails: both fail, with texts that name their own types.
		decodeFails bool
	}{
		{name: "a value", handler: typedtest.Raw(`{"Value":"czNjcjN0AP8="}`)},
		{name: "a value not to reuse", handler: typedtest.Raw(`{"Value":"czNjcjN0","DoNotReuse":true}`)},
		{name: "keys in another case", handler: typedtest.Raw(`{"value":"eA==","DONOTREUSE":true}`)},
		{name: "Err in a 200 answer", handler: typedtest.Raw(`{"Err":"access denied","DoNotReuse":true,"Value":"eA=="}`)},
		{
			name: "Err with a % in a 200 answer", handler: typedtest.Raw(`{"Err":"100% denied for %s"}`),
			oursErr: "100% denied for %s", engineErr: "100%!d(MISSING)enied for %!s(MISSING)",
		},
		{name: "500 from the SDK", handler: pluginstest.ReplyError(http.StatusInternalServerError, "secret s not found")},
		{name: "404 from Go's mux", handler: http.NotFoundHandler()},
		{name: "a 200 answer that is a JSON string", handler: pluginstest.Reply("not an object"), decodeFails: true},
		{name: "a value that is not base64", handler: typedtest.Raw(`{"Value":"***"}`), decodeFails: true},
	}
	for _, in := range inputs {
		for _, a := range answers {
			t.Run(in.name+"/"+a.name, func(t *testing.T) {
				fp, c, ec := enginetest.Serve(t, fixture)
				fp.Handle("SecretProvider.GetSecret", a.handler)
				value, doNotReuse, err := drivers.NewSecretDriver(swarmPlugin{ec}).Get(&in.spec, &in.task)
				eng := outcome{Value: value, DoNotReuse: doNotReuse, Err: enginetest.ErrText(err)}

				resp, err := c.GetSecret(context.Background(), in.req)
				ours := outcome{Value: resp.Value, DoNotReuse: resp.DoNotReuse, Err: enginetest.ErrText(err)}
				if err != nil {
					// What the engine's driver returns with an error: no
					// value, and the answer's DoNotReuse if it was read.
					ours.Value = nil
					if !typedtest.IsAnswerError(err) {
						ours.DoNotReuse = false
					}
				}

				calls := fp.Calls("SecretProvider.GetSecret")
				require.Len(t, calls, 2)
				assert.Equal(t, calls[0].Path, calls[1].Path)
				assert.Equal(t, string(calls[0].Body), string(calls[1].Body), "the request, byte for byte")
				switch {
				case a.decodeFails:
					require.NotEmpty(t, eng.Err)
					enginetest.SameDecodingError(t, eng.Err, ours.Err)
				case a.oursErr != "":
					assert.Equal(t, a.oursErr, ours.Err, "verbatim, as in docker v29.1 and later")
					assert.Equal(t, a.engineErr, eng.Err, "v28.5.2 takes the text for a format")
				default:
					assert.Equal(t, eng, ours)
				}
			})
		}
	}
}

// The JSON of this package's request and answer types, field by field,
// against the engine's (swarmkit's) for the same values; and the SDK's,
// which has no NodeID.
func TestEngineTypesAgree(t *testing.T) {
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			eng := drivers.SecretsProviderRequest{
				SecretName: in.req.SecretName, SecretLabels: in.req.SecretLabels, ServiceHostname: in.req.ServiceHostname,
				ServiceID: in.req.ServiceID, ServiceName: in.req.ServiceName, ServiceLabels: in.req.ServiceLabels,
				TaskID: in.req.TaskID, TaskName: in.req.TaskName, TaskImage: in.req.TaskImage, NodeID: in.req.NodeID,
			}
			sdk := sdksecrets.Request{
				SecretName: in.req.SecretName, SecretLabels: in.req.SecretLabels, ServiceHostname: in.req.ServiceHostname,
				ServiceID: in.req.ServiceID, ServiceName: in.req.ServiceName, ServiceLabels: in.req.ServiceLabels,
				TaskID: in.req.TaskID, TaskName: in.req.TaskName, TaskImage: in.req.TaskImage,
			}
			if e := in.req.ServiceEndpointSpec; e != nil {
				eng.ServiceEndpointSpec = &drivers.EndpointSpec{Mode: e.Mode}
				sdk.ServiceEndpointSpec = &sdksecrets.EndpointSpec{Mode: e.Mode}
				for _, p := range e.Ports {
					eng.ServiceEndpointSpec.Ports = append(eng.ServiceEndpointSpec.Ports, drivers.PortConfig(p))
					sdk.ServiceEndpointSpec.Ports = append(sdk.ServiceEndpointSpec.Ports, sdksecrets.PortConfig(p))
				}
			}
			assert.Equal(t, marshal(t, eng), marshal(t, in.req), "the engine's, byte for byte")

			withoutNode := in.req
			withoutNode.NodeID = ""
			// The SDK orders ServiceName before ServiceID: the same JSON,
			// not the same bytes.
			assert.JSONEq(t, marshal(t, sdk), marshal(t, withoutNode), "the SDK's, but for NodeID")
		})
	}

	for _, answer := range []string{
		`{}`, `null`, `{"Value":"czNjcjN0AP8=","Err":"e","DoNotReuse":true}`, `{"value":"","err":"","donotreuse":false}`,
		`{"Value":null,"Err":null,"DoNotReuse":null}`, `{"Extra":1,"Value":"eA=="}`,
	} {
		t.Run(answer, func(t *testing.T) {
			var eng drivers.SecretsProviderResponse
			var ours secrets.Response
			require.NoError(t, json.Unmarshal([]byte(answer), &eng))
			require.NoError(t, json.Unmarshal([]byte(answer), &ours))
			assert.Equal(t, secrets.Response(eng), ours)
			assert.Equal(t, marshal(t, eng), marshal(t, ours))
		})
	}
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
