package plugins

import (
	"testing"

	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
)

// WithLogger sets the same logger wherever it is given.
func TestWithLoggerEverywhere(t *testing.T) {
	t.Parallel()
	l := testkit.QuietLogger()
	assert.Same(t, l, newConfig([]Option{WithLogger(l)}).logger)
	assert.Same(t, l, newConfig([]StoreOption{WithLogger(l)}).logger)
	assert.Same(t, l, NewLocalRegistry(WithLogger(l)).logger)
}

// Answers to decode are bounded by default (TestDecodedAnswersAreBounded
// checks the bound itself).
func TestMaxAnswerSizeDefault(t *testing.T) {
	t.Parallel()
	assert.Equal(t, int64(DefaultMaxAnswerSize), newConfig[Option](nil).maxAnswer)
}
