package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSuggest(t *testing.T) {
	tests := []struct {
		name, meant, why string
	}{
		{"LoggingDriver", "LogDriver", "managed plugins only"},
		{"logdriver", "LogDriver", "case-sensitive"},
		{"IPAMDriver", "IpamDriver", "case-sensitive"},
		{"SecretProvider", "secretprovider", "case-sensitive"},
		{"Authz", "authz", "case-sensitive"},
		{"AuthZPlugin", "authz", "prefix of the methods' paths"},
		{"docker.volumedriver/1.0", "VolumeDriver", "managed plugin's type"},
		{"docker.authz/1.0", "authz", "managed plugin's type"},
		{"VolumeDrivers", "VolumeDriver", ""},
		{"NetworkDrivr", "NetworkDriver", ""},
		{"MetricCollector", "MetricsCollector", ""},
		{"volume", "VolumeDriver", ""},
		{"MyOwnThing", "", ""},
		{"Driver", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			meant, why := suggest(tt.name)
			assert.Equal(t, tt.meant, meant)
			if tt.why == "" {
				assert.Empty(t, why)
			} else {
				assert.Contains(t, why, tt.why)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	assert.Equal(t, 0, editDistance("abc", "abc"))
	assert.Equal(t, 1, editDistance("abc", "abd"))
	assert.Equal(t, 1, editDistance("abc", "abcd"))
	assert.Equal(t, 3, editDistance("", "abc"))
	assert.Equal(t, 3, editDistance("kitten", "sitting"))
}

// Every check the code judges is in the list, with the outcomes it
// needs: set panics otherwise, and the fault tests reach every outcome.
func TestCheckList(t *testing.T) {
	seen := map[[2]string]bool{}
	for _, c := range checks {
		key := [2]string{c.Interface, c.ID}
		assert.False(t, seen[key], "%v listed twice", key)
		seen[key] = true
		assert.NotEmpty(t, c.Title, key)
		assert.True(t, c.Pass != "" || c.Warn != "" || c.Fail != "", key)
		assert.Equal(t, c.Warn != "", c.WarnConsequence != "", "%v: a warning and its consequence go together", key)
		assert.Equal(t, c.Fail != "", c.FailConsequence != "", "%v: a failure and its consequence go together", key)
		if c.Interface != Plugin {
			_, ok := lookupInterface(c.Interface)
			assert.True(t, ok, key)
		}
	}
	for _, in := range interfaces {
		for _, id := range []string{"unknown-method", "answers-in-time"} {
			assert.True(t, seen[[2]string{in.name, id}], "%s/%s", in.name, id)
		}
		assert.Equal(t, len(in.noArgs) > 0, seen[[2]string{in.name, "empty-args"}], in.name)
	}
}
