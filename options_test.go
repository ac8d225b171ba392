package plugins

import (
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
)

// Each option is taken where it applies and only there: a client cannot
// be given an option it would ignore, and WithLogger serves all three.
func TestOptionKinds(t *testing.T) {
	tests := []struct {
		name                    string
		opt                     any
		client, store, registry bool
	}{
		{"WithBackoff", WithBackoff(DefaultBackoff), true, true, false},
		{"WithCallRetryBudget", WithCallRetryBudget(time.Second), true, true, false},
		{"WithTimeout", WithTimeout(time.Second), true, true, false},
		{"WithNoResend", WithNoResend(), true, true, false},
		{"WithMaxAnswerSize", WithMaxAnswerSize(1), true, true, false},
		{"WithRetryObserver", WithRetryObserver(nil), true, true, false},
		{"WithLogger", WithLogger(testkit.QuietLogger()), true, true, true},
		{"WithLookupRetryBudget", WithLookupRetryBudget(0), false, true, false},
		{"WithGetAllTimeout", WithGetAllTimeout(time.Second), false, true, false},
		{"WithSocketsDir", WithSocketsDir(""), false, false, true},
		{"WithSpecsDirs", WithSpecsDirs(), false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, client := tt.opt.(Option)
			_, store := tt.opt.(StoreOption)
			_, registry := tt.opt.(RegistryOption)
			assert.Equal(t, tt.client, client, "a client option")
			assert.Equal(t, tt.store, store, "a store option")
			assert.Equal(t, tt.registry, registry, "a registry option")
		})
	}
}

// WithLogger sets the same logger wherever it is given.
func TestWithLoggerEverywhere(t *testing.T) {
	l := testkit.QuietLogger()
	assert.Same(t, l, newConfig([]Option{WithLogger(l)}).logger)
	assert.Same(t, l, newConfig([]StoreOption{WithLogger(l)}).logger)
	assert.Same(t, l, NewLocalRegistry(WithLogger(l)).logger)
}
