package ipam_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/docker/docker/libnetwork/ipamapi"
	"github.com/docker/docker/libnetwork/ipams/remote/api"
	"github.com/docker/docker/libnetwork/netlabel"
	"github.com/go-dockerplugins/plugins/ipam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every request type marshals, for the same values, to the bytes of the
// engine's own type; zero values included (nil maps are null).
func TestRequestTypesAgree(t *testing.T) {
	opts := map[string]string{"a": "b", "<&>": "\u2028"}
	for _, tc := range []struct{ engine, ours any }{
		{api.RequestPoolRequest{}, ipam.RequestPoolRequest{}},
		{
			api.RequestPoolRequest{AddressSpace: "s", Pool: "10.0.0.0/8", SubPool: "10.1.0.0/16", Options: opts, V6: true},
			ipam.RequestPoolRequest{AddressSpace: "s", Pool: "10.0.0.0/8", SubPool: "10.1.0.0/16", Options: opts, V6: true},
		},
		{api.ReleasePoolRequest{PoolID: "p"}, ipam.ReleasePoolRequest{PoolID: "p"}},
		{api.RequestAddressRequest{}, ipam.RequestAddressRequest{}},
		{api.RequestAddressRequest{PoolID: "p", Address: "10.0.0.1", Options: opts}, ipam.RequestAddressRequest{PoolID: "p", Address: "10.0.0.1", Options: opts}},
		{api.ReleaseAddressRequest{PoolID: "p", Address: "fd00::1"}, ipam.ReleaseAddressRequest{PoolID: "p", Address: "fd00::1"}},
	} {
		t.Run(reflect.TypeOf(tc.ours).Name(), func(t *testing.T) {
			want, err := json.Marshal(tc.engine)
			require.NoError(t, err)
			got, err := json.Marshal(tc.ours)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		})
	}
}

// Every answer type decodes what the engine's type decodes: the same JSON
// read into both, written back, gives the same bytes. An Err is nobody's.
func TestAnswerTypesAgree(t *testing.T) {
	for _, tc := range []struct {
		engine, ours any // pointers to zero values
		answers      []string
	}{
		{new(api.Response), new(ipam.Response), []string{`{}`, `{"Error":"x"}`, `{"error":"y"}`, `{"Err":"z"}`}},
		{new(api.GetCapabilityResponse), new(ipam.CapabilitiesResponse), []string{
			`{"RequiresMACAddress":true,"RequiresRequestReplay":true,"Error":"e"}`, `{"requiresmacaddress":true,"extra":1}`,
		}},
		{new(api.GetAddressSpacesResponse), new(ipam.AddressSpacesResponse), []string{
			`{"LocalDefaultAddressSpace":"l","GlobalDefaultAddressSpace":"g"}`, `{"Err":"z"}`,
		}},
		{new(api.RequestPoolResponse), new(ipam.RequestPoolResponse), []string{
			`{"PoolID":"p","Pool":"10.0.0.0/8","Data":{"com.docker.network.gateway":"10.0.0.1/8"}}`, `{"Data":null}`, `{"Data":{}}`,
		}},
		{new(api.RequestAddressResponse), new(ipam.RequestAddressResponse), []string{`{"Address":"10.0.0.5/8","Data":{"a":"b"}}`, `{}`}},
	} {
		for _, answer := range tc.answers {
			t.Run(reflect.TypeOf(tc.ours).Elem().Name()+" "+answer, func(t *testing.T) {
				eng := reflect.New(reflect.TypeOf(tc.engine).Elem()).Interface()
				ours := reflect.New(reflect.TypeOf(tc.ours).Elem()).Interface()
				require.NoError(t, json.Unmarshal([]byte(answer), eng))
				require.NoError(t, json.Unmarshal([]byte(answer), ours))
				want, err := json.Marshal(eng)
				require.NoError(t, err)
				got, err := json.Marshal(ours)
				require.NoError(t, err)
				assert.Equal(t, string(want), string(got))
			})
		}
	}
}

// The keys the package names are the engine's.
func TestKeysAgree(t *testing.T) {
	assert.Equal(t, netlabel.Gateway, ipam.GatewayKey)
	assert.Equal(t, ipamapi.RequestAddressType, ipam.RequestAddressTypeKey)
	assert.Equal(t, netlabel.MacAddress, ipam.MacAddressKey)
	assert.Equal(t, ipamapi.PluginEndpointType, ipam.Interface)
}
