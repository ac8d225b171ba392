package typedtest

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// AnswerError checks that err is want: the error a 200 answer carried,
// with want's text.
func AnswerError(t *testing.T, err error, want plugins.AnswerError, msgAndArgs ...any) {
	t.Helper()
	require.EqualError(t, err, want.Error(), msgAndArgs...)
	var ae *plugins.AnswerError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, want, *ae)
}

// StatusError checks that err, whose text is text, is the error of an
// answer with status, and returns it.
func StatusError(t *testing.T, err error, status int, text string, msgAndArgs ...any) *plugins.StatusError {
	t.Helper()
	require.EqualError(t, err, text, msgAndArgs...)
	var se *plugins.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, status, se.StatusCode)
	return se
}

// FailedWithStatus checks that err, whose text is text, is the error of an
// answer with status and nothing else: not found exactly when status is
// 404, and no error a 200 answer carried. It returns the *StatusError.
func FailedWithStatus(t *testing.T, err error, status int, text string, msgAndArgs ...any) *plugins.StatusError {
	t.Helper()
	se := StatusError(t, err, status, text, msgAndArgs...)
	assert.Equal(t, status == http.StatusNotFound, plugins.IsNotFound(err), "IsNotFound")
	assert.False(t, IsAnswerError(err), "not an error in a 200 answer")
	return se
}

// NotFound checks that err is the error of method answered 404 by Go's
// ServeMux: the method is not implemented.
func NotFound(t *testing.T, err error, method string) {
	t.Helper()
	assert.True(t, plugins.IsNotFound(err), "%v", err)
	assert.EqualError(t, err, method+": 404 page not found\n")
}

// IsAnswerError reports whether err is, or wraps, a *plugins.AnswerError.
func IsAnswerError(err error) bool {
	var ae *plugins.AnswerError
	return errors.As(err, &ae)
}

// IsStatusError reports whether err is, or wraps, a *plugins.StatusError.
func IsStatusError(err error) bool {
	var se *plugins.StatusError
	return errors.As(err, &se)
}

// FailsWithStatus has the fake plugin answer method with a 500 and
// {"Err": msg}, and checks the error of call: the *StatusError
// "<errName>: <msg>" (errName is the method as the call names it), and
// nothing else, after one request: an error status is not retried. It
// returns what call returns besides its error.
func (f Fixture[C]) FailsWithStatus(t *testing.T, method, errName, msg string, call func(context.Context, C) (any, error)) any {
	t.Helper()
	c, fake := f.Serve(t)
	fake.Handle(method, Raw(`{}`)).
		Inject(pluginstest.Fault{Method: method, Status: http.StatusInternalServerError, Err: msg})
	got, err := call(context.Background(), c)
	se := FailedWithStatus(t, err, http.StatusInternalServerError, errName+": "+msg)
	assert.Equal(t, errName, se.Method)
	assert.Len(t, fake.Calls(method), 1, "an error status is not retried")
	return got
}

// NotImplemented calls call against a fake plugin that has no handler for
// method, and answers it 404, and returns what call returns, once the
// plugin received the one request.
func (f Fixture[C]) NotImplemented(t *testing.T, method string, call func(context.Context, C) (any, error)) (any, error) {
	t.Helper()
	c, fake := f.Serve(t) // no handler: 404
	got, err := call(context.Background(), c)
	require.Len(t, fake.Calls(method), 1)
	return got, err
}

// FallsBackOn404Only checks that call, of an optional method, returns the
// error of a 500, and takes a 404, even with a JSON body, for the method's
// absence, with no error; it returns what call returns then.
func (f Fixture[C]) FallsBackOn404Only(t *testing.T, method string, call func(context.Context, C) (any, error)) any {
	t.Helper()
	c, fake := f.Serve(t)
	fake.Inject(pluginstest.Fault{Method: method, Times: 1, Status: http.StatusInternalServerError, Err: "broken"})
	_, err := call(context.Background(), c)
	require.EqualError(t, err, method+": broken")

	fake.Inject(pluginstest.Fault{Method: method, Times: 1, Status: http.StatusNotFound, Err: "not here"})
	got, err := call(context.Background(), c)
	require.NoError(t, err, "a 404 with a JSON body is a 404")
	return got
}

// ErrText returns want, an error text, with method for the "%s" it may
// start with: one table of texts serves every method.
func ErrText(want, method string) string {
	if len(want) > 2 && want[:2] == "%s" {
		return method + want[2:]
	}
	return want
}
