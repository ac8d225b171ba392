package ipam_test

import (
	"testing"

	"github.com/docker/docker/libnetwork/ipamapi"
	"github.com/docker/docker/libnetwork/ipams/remote/api"
	"github.com/docker/docker/libnetwork/netlabel"
	"github.com/go-dockerplugins/plugins/interop/internal/enginetest"
	"github.com/go-dockerplugins/plugins/ipam"
	"github.com/stretchr/testify/assert"
)

// Every request type marshals, for the same values, to the bytes of the
// engine's own type; zero values included (nil maps are null).
func TestRequestTypesAgree(t *testing.T) {
	opts := map[string]string{"a": "b", "<&>": "\u2028"}
	enginetest.RequestsAgree(t, []enginetest.RequestCase{
		{api.RequestPoolRequest{}, ipam.RequestPoolRequest{}},
		{
			api.RequestPoolRequest{AddressSpace: "s", Pool: "10.0.0.0/8", SubPool: "10.1.0.0/16", Options: opts, V6: true},
			ipam.RequestPoolRequest{AddressSpace: "s", Pool: "10.0.0.0/8", SubPool: "10.1.0.0/16", Options: opts, V6: true},
		},
		{api.ReleasePoolRequest{PoolID: "p"}, ipam.ReleasePoolRequest{PoolID: "p"}},
		{api.RequestAddressRequest{}, ipam.RequestAddressRequest{}},
		{api.RequestAddressRequest{PoolID: "p", Address: "10.0.0.1", Options: opts}, ipam.RequestAddressRequest{PoolID: "p", Address: "10.0.0.1", Options: opts}},
		{api.ReleaseAddressRequest{PoolID: "p", Address: "fd00::1"}, ipam.ReleaseAddressRequest{PoolID: "p", Address: "fd00::1"}},
	})
}

// Every answer type decodes what the engine's type decodes: the same JSON
// read into both, written back, gives the same bytes. An Err is nobody's.
func TestAnswerTypesAgree(t *testing.T) {
	enginetest.AnswersAgree(t, []enginetest.AnswerCase{
		{Engine: new(api.Response), Ours: new(ipam.Response), Answers: []string{`{}`, `{"Error":"x"}`, `{"error":"y"}`, `{"Err":"z"}`}},
		{Engine: new(api.GetCapabilityResponse), Ours: new(ipam.CapabilitiesResponse), Answers: []string{
			`{"RequiresMACAddress":true,"RequiresRequestReplay":true,"Error":"e"}`, `{"requiresmacaddress":true,"extra":1}`,
		}},
		{Engine: new(api.GetAddressSpacesResponse), Ours: new(ipam.AddressSpacesResponse), Answers: []string{
			`{"LocalDefaultAddressSpace":"l","GlobalDefaultAddressSpace":"g"}`, `{"Err":"z"}`,
		}},
		{Engine: new(api.RequestPoolResponse), Ours: new(ipam.RequestPoolResponse), Answers: []string{
			`{"PoolID":"p","Pool":"10.0.0.0/8","Data":{"com.docker.network.gateway":"10.0.0.1/8"}}`, `{"Data":null}`, `{"Data":{}}`,
		}},
		{Engine: new(api.RequestAddressResponse), Ours: new(ipam.RequestAddressResponse), Answers: []string{`{"Address":"10.0.0.5/8","Data":{"a":"b"}}`, `{}`}},
	})
}

// The keys the package names are the engine's.
func TestKeysAgree(t *testing.T) {
	assert.Equal(t, netlabel.Gateway, ipam.GatewayKey)
	assert.Equal(t, ipamapi.RequestAddressType, ipam.RequestAddressTypeKey)
	assert.Equal(t, netlabel.MacAddress, ipam.MacAddressKey)
	assert.Equal(t, ipamapi.PluginEndpointType, ipam.Interface)
}
