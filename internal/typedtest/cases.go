package typedtest

import (
	"context"
	"net/http"
	"testing"

	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Exchange is a call of one method through a typed client of type C, the
// answer the plugin gives, and what the call must send and return.
type Exchange[C any] struct {
	// Name names the subtest.
	Name string
	// Method is the service method, as the plugin sees it.
	Method string
	// Call makes the call, and returns what it returns besides its error
	// (nil for a method that returns only an error).
	Call func(ctx context.Context, c C) (any, error)
	// Body is the request as the engine sends it, less the newline that
	// ends its JSON.
	Body string
	// Answer is the plugin's answer, with status 200.
	Answer string
	// Want is what Call returns.
	Want any
}

// RunExchanges runs each exchange as a subtest, against a fake plugin of
// its own: the call returns Want and no error, and the plugin received
// Body, byte for byte, at the method's path.
func (f Fixture[C]) RunExchanges(t *testing.T, exchanges []Exchange[C]) {
	t.Helper()
	for _, tt := range exchanges {
		t.Run(tt.Name, func(t *testing.T) {
			c, fake := f.Serve(t)
			fake.Handle(tt.Method, Raw(tt.Answer))
			got, err := tt.Call(context.Background(), c)
			require.NoError(t, err)
			assert.Equal(t, tt.Want, got)
			calls := fake.Calls(tt.Method)
			require.Len(t, calls, 1)
			assert.Equal(t, tt.Body+"\n", string(calls[0].Body), "the request, byte for byte as the engine sends it")
			assert.Equal(t, "/"+tt.Method, calls[0].Path)
		})
	}
}

// MethodCase is one method of an interface, called through a typed client
// of type C: how to call it, the request the engine would send for the same
// arguments, an answer and what it decodes to.
type MethodCase[C any] struct {
	// Method is the service method, as the plugin sees it.
	Method string
	// Call makes the call, and returns what it returns besides its error.
	Call func(context.Context, C) (any, error)
	// WantBody is the request, byte for byte, newline included; "" for no
	// body.
	WantBody string
	// Answer is a 200 answer, and Want what it decodes to: nil for methods
	// whose answer holds only the error.
	Answer string
	Want   any
	// Optional: a 404 answer is no error.
	Optional bool
}

// CheckAnswer has fake answer the method with Answer and checks the call:
// no error, Want, and WantBody sent, byte for byte, with its length.
func (tc MethodCase[C]) CheckAnswer(t *testing.T, c C, fake *pluginstest.Plugin) {
	t.Helper()
	fake.Handle(tc.Method, Raw(tc.Answer))
	got, err := tc.Call(context.Background(), c)
	require.NoError(t, err)
	if tc.Want != nil {
		assert.Equal(t, tc.Want, got, "the answer decoded")
	}
	req := OnlyRequest(t, fake, tc.Method)
	assert.Equal(t, tc.WantBody, string(req.Body), "the request, as the engine sends it")
	assert.EqualValues(t, len(tc.WantBody), req.ContentLength)
}

// CallWith has fake answer the method with h, and makes the call.
func (tc MethodCase[C]) CallWith(c C, fake *pluginstest.Plugin, h http.Handler) (any, error) {
	fake.Handle(tc.Method, h)
	return tc.Call(context.Background(), c)
}

// CheckFailures checks the call's failures that no interface changes:
// another status than 200 is the client's error (from the answer's Err)
// and no error a 200 answer carried, and a 200 answer without a body
// fails, as in the engine.
func (tc MethodCase[C]) CheckFailures(t *testing.T, c C, fake *pluginstest.Plugin) {
	t.Helper()
	_, err := tc.CallWith(c, fake, pluginstest.ReplyError(http.StatusInternalServerError, "driver busy"))
	StatusError(t, err, http.StatusInternalServerError, tc.Method+": driver busy")
	assert.False(t, IsAnswerError(err))

	_, err = tc.CallWith(c, fake, Raw(""))
	assert.Error(t, err)
}
