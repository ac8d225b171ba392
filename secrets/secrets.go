package secrets

import (
	"context"
	"fmt"

	"github.com/go-dockerplugins/plugins"
)

// Interface is the name a secret provider lists in its manifest, as in
// plugins.Get(name, secrets.Interface). It is lower case, and its methods'
// prefix is not: SecretProvider.
const Interface = "secretprovider"

// MaxValueSize bounds a secret's value: the engine accepts values of 1 to
// MaxValueSize-1 bytes.
const MaxValueSize = 500 * 1024

// The values of EndpointSpec.Mode, PortConfig.Protocol and
// PortConfig.PublishMode: the engine's (swarmkit's) enumerations.
const (
	ResolutionModeVIP   int32 = 0 // a virtual IP for the service
	ResolutionModeDNSRR int32 = 1 // DNS round robin over the tasks

	ProtocolTCP  int32 = 0
	ProtocolUDP  int32 = 1
	ProtocolSCTP int32 = 2

	PublishModeIngress int32 = 0 // on every node, through the routing mesh
	PublishModeHost    int32 = 1 // on the node that runs the task
)

// Request is the request of SecretProvider.GetSecret: the secret, and the
// task that will use it. Every key is omitted when empty, as in the
// engine's SecretsProviderRequest. The SDK's Request has no NodeID.
type Request struct {
	// SecretName is the name of the secret.
	SecretName string `json:",omitempty"`
	// SecretLabels are the secret's labels.
	SecretLabels map[string]string `json:",omitempty"`
	// ServiceHostname is the hostname in the service's container spec, for
	// x509 certificates say.
	ServiceHostname string `json:",omitempty"`
	// ServiceID is the ID of the service that uses the secret.
	ServiceID string `json:",omitempty"`
	// ServiceName is the name of the service that uses the secret.
	ServiceName string `json:",omitempty"`
	// ServiceLabels are the service's labels.
	ServiceLabels map[string]string `json:",omitempty"`
	// TaskID is the ID of the task the secret is assigned to.
	TaskID string `json:",omitempty"`
	// TaskName is the name of the task the secret is assigned to.
	TaskName string `json:",omitempty"`
	// TaskImage is the image of the task the secret is assigned to.
	TaskImage string `json:",omitempty"`
	// NodeID is the ID of the node the task will run on.
	NodeID string `json:",omitempty"`
	// ServiceEndpointSpec is the service's endpoint, when it has one.
	ServiceEndpointSpec *EndpointSpec `json:",omitempty"`
}

// EndpointSpec is a service's endpoint, in a Request.
type EndpointSpec struct {
	// Mode is ResolutionModeVIP or ResolutionModeDNSRR.
	Mode int32 `json:",omitempty"`
	// Ports are the service's published ports.
	Ports []PortConfig `json:",omitempty"`
}

// PortConfig is a published port of a service, in a Request.
type PortConfig struct {
	// Name is the port's name.
	Name string `json:",omitempty"`
	// Protocol is ProtocolTCP, ProtocolUDP or ProtocolSCTP.
	Protocol int32 `json:",omitempty"`
	// TargetPort is the port inside the container.
	TargetPort uint32 `json:",omitempty"`
	// PublishedPort is the port on the swarm's hosts.
	PublishedPort uint32 `json:",omitempty"`
	// PublishMode is PublishModeIngress or PublishModeHost.
	PublishMode int32 `json:",omitempty"`
}

// Response is the answer of SecretProvider.GetSecret.
type Response struct {
	// Value is the secret's value, sent as base64.
	Value []byte `json:",omitempty"`
	// Err, when not empty, is the plugin's error.
	Err string `json:",omitempty"`
	// DoNotReuse makes the value the task's own: the engine asks the
	// plugin again for every other task.
	DoNotReuse bool `json:",omitempty"`
}

// ValidateValue returns the engine's error for a secret value it refuses:
// an empty one, or one of MaxValueSize bytes or more. The engine checks
// the value of every successful GetSecret; a daemon should too.
func ValidateValue(value []byte) error {
	if len(value) < 1 || len(value) >= MaxValueSize {
		return fmt.Errorf("secret data must be larger than 0 and less than %d bytes", MaxValueSize)
	}
	return nil
}

// getSecretName is the method as the engine names it, leading slash
// included: the error texts start with it.
const getSecretName = "/SecretProvider.GetSecret"

// The engine sets no timeout for secret providers.
var getSecret = plugins.Method[Request, Response]{
	Name:    getSecretName,
	Failure: plugins.AnswerFailure(getSecretName, "", func(r *Response) string { return r.Err }),
}

// Client calls a secret provider plugin. It is safe for concurrent use.
type Client struct {
	c *plugins.Client
}

// NewClient returns a Client that calls the plugin through c.
func NewClient(c *plugins.Client) *Client { return &Client{c: c} }

// FromPlugin returns a Client for p, an activated plugin, or an error
// matching plugins.ErrNotImplements when p's manifest does not list
// Interface.
func FromPlugin(p *plugins.Plugin) (*Client, error) {
	return plugins.TypedClient(p, Interface, NewClient)
}

// GetSecret asks the plugin for a secret's value (/SecretProvider.GetSecret,
// with no timeout but ctx's). An Err in a 200 answer is returned verbatim,
// as a *plugins.AnswerError, with the answer as read (the engine's secret
// driver returns its DoNotReuse with the error, which the dispatcher then
// drops). Docker v29.1 and later use the text verbatim too; v28 (swarmkit
// v2.0.0) passed it to fmt.Errorf as a format, which mangles any % in it.
// The engine checks a successful value with ValidateValue.
func (c *Client) GetSecret(ctx context.Context, req Request) (Response, error) {
	return getSecret.Call(ctx, c.c, req)
}
