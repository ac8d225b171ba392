package plugins_test

import (
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
)

// Each option is taken where it applies and only there: a client cannot
// be given an option it would ignore, and WithLogger serves all three.
func TestOptionKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                    string
		opt                     any
		client, store, registry bool
	}{
		{"WithBackoff", plugins.WithBackoff(plugins.DefaultBackoff), true, true, false},
		{"WithCallRetryBudget", plugins.WithCallRetryBudget(time.Second), true, true, false},
		{"WithTimeout", plugins.WithTimeout(time.Second), true, true, false},
		{"WithNoResend", plugins.WithNoResend(), true, true, false},
		{"WithMaxAnswerSize", plugins.WithMaxAnswerSize(1), true, true, false},
		{"WithRetryObserver", plugins.WithRetryObserver(nil), true, true, false},
		{"WithLogger", plugins.WithLogger(testkit.QuietLogger()), true, true, true},
		{"WithLookupRetryBudget", plugins.WithLookupRetryBudget(0), false, true, false},
		{"WithGetAllTimeout", plugins.WithGetAllTimeout(time.Second), false, true, false},
		{"WithSocketsDir", plugins.WithSocketsDir(""), false, false, true},
		{"WithSpecsDirs", plugins.WithSpecsDirs(), false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, client := tt.opt.(plugins.Option)
			_, store := tt.opt.(plugins.StoreOption)
			_, registry := tt.opt.(plugins.RegistryOption)
			assert.Equal(t, tt.client, client, "a client option")
			assert.Equal(t, tt.store, store, "a store option")
			assert.Equal(t, tt.registry, registry, "a registry option")
		})
	}
}
