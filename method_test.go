package plugins_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type greetRequest struct{ Name string }

type greetResponse struct {
	Greeting string
	Err      string
}

// errIn is the convention of most interfaces: a non-empty Err in a 200
// answer is the error, verbatim.
func errIn(r *greetResponse) error {
	if r.Err != "" {
		return errors.New(r.Err)
	}
	return nil
}

// greeter serves Greeter.Hello, Greeter.Fail (Err in a 200 answer),
// Greeter.Slow (after 100ms) and Greeter.Raw (the request body, as is).
func greeter(t *testing.T) (*plugins.Client, *pluginstest.Plugin) {
	env := pluginstest.New(t)
	p := env.ServeSocket("greeter", "Greeter").
		Handle("Greeter.Hello", pluginstest.Func(func(req greetRequest) (any, error) {
			return greetResponse{Greeting: "hello " + req.Name}, nil
		})).
		Handle("Greeter.Fail", pluginstest.Reply(greetResponse{Err: "no greeting today"})).
		Handle("Greeter.Slow", pluginstest.Reply(greetResponse{Greeting: "late"})).
		Handle("Greeter.Raw", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(w, r.Body) })).
		Inject(pluginstest.Fault{Method: "Greeter.Slow", Delay: 100 * time.Millisecond})
	plugin, err := env.Store().Get("greeter", "Greeter")
	require.NoError(t, err)
	return plugin.Client, p
}

func TestMethodCall(t *testing.T) {
	t.Parallel()
	c, p := greeter(t)
	ctx := context.Background()

	hello := plugins.Method[greetRequest, greetResponse]{Name: "Greeter.Hello", Failure: errIn}
	resp, err := hello.Call(ctx, c, greetRequest{Name: "you"})
	require.NoError(t, err)
	assert.Equal(t, "hello you", resp.Greeting)
	calls := p.Calls("Greeter.Hello")
	require.Len(t, calls, 1)
	assert.Equal(t, `{"Name":"you"}`+"\n", string(calls[0].Body), "the request, as the engine encodes it")

	fail := plugins.Method[greetRequest, greetResponse]{Name: "Greeter.Fail", Failure: errIn}
	_, err = fail.Call(ctx, c, greetRequest{})
	assert.EqualError(t, err, "no greeting today", "the error in a 200 answer, by the convention given")
	ignored := plugins.Method[greetRequest, greetResponse]{Name: "Greeter.Fail"}
	resp, err = ignored.Call(ctx, c, greetRequest{})
	require.NoError(t, err, "without a Failure, a 200 answer is a success")
	assert.Equal(t, "no greeting today", resp.Err)

	noBody := plugins.Method[greetRequest, struct{}]{Name: "Greeter.Raw", NoBody: true, Discard: true}
	_, err = noBody.Call(ctx, c, greetRequest{Name: "unsent"})
	require.NoError(t, err, "an empty 200 answer, not read")
	require.Len(t, p.Calls("Greeter.Raw"), 1)
	assert.Empty(t, p.Calls("Greeter.Raw")[0].Body, "no body, as the engine sends for methods without arguments")

	_, err = noBody.Call(ctx, c, greetRequest{})
	require.NoError(t, err)
	undiscarded := plugins.Method[greetRequest, struct{}]{Name: "Greeter.Raw", NoBody: true}
	_, err = undiscarded.Call(ctx, c, greetRequest{})
	assert.ErrorIs(t, err, io.EOF, "an empty answer decoded fails, as in the engine")
}

func TestMethodOptional(t *testing.T) {
	t.Parallel()
	c, _ := greeter(t)
	ctx := context.Background()
	fallback := greetResponse{Greeting: "assumed"}

	optional := plugins.Method[greetRequest, greetResponse]{Name: "Greeter.Missing", Optional: true, Fallback: fallback}
	resp, err := optional.Call(ctx, c, greetRequest{})
	require.NoError(t, err, "a 404 is not an error for an optional method")
	assert.Equal(t, fallback, resp)

	required := plugins.Method[greetRequest, greetResponse]{Name: "Greeter.Missing"}
	_, err = required.Call(ctx, c, greetRequest{})
	assert.True(t, plugins.IsNotFound(err))

	failing := plugins.Method[greetRequest, greetResponse]{Name: "Greeter.Fail", Optional: true, Fallback: fallback, Failure: errIn}
	_, err = failing.Call(ctx, c, greetRequest{})
	assert.EqualError(t, err, "no greeting today", "only a 404 gives the fallback")
}

func TestMethodTimeout(t *testing.T) {
	t.Parallel()
	c, _ := greeter(t)
	slow := plugins.Method[greetRequest, greetResponse]{Name: "Greeter.Slow", Timeout: 50 * time.Millisecond}

	start := time.Now()
	_, err := slow.Call(context.Background(), c, greetRequest{})
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the method's timeout, without a deadline")
	assert.Less(t, time.Since(start), time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := slow.Call(ctx, c, greetRequest{})
	require.NoError(t, err, "a deadline on the context replaces the method's timeout")
	assert.Equal(t, "late", resp.Greeting)
}

func TestMethodStreamAndSendFile(t *testing.T) {
	t.Parallel()
	c, p := greeter(t)
	ctx := context.Background()
	raw := plugins.Method[greetRequest, greetResponse]{Name: "Greeter.Raw", Failure: errIn}

	rc, err := raw.Stream(ctx, c, greetRequest{Name: "streamed"})
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, `{"Name":"streamed"}`+"\n", string(b))

	resp, err := raw.SendFile(ctx, c, "Greeter.Raw?id=x", strings.NewReader(`{"Greeting": "sent", "Err": ""}`))
	require.NoError(t, err)
	assert.Equal(t, "sent", resp.Greeting)
	calls := p.Calls("Greeter.Raw")
	require.Len(t, calls, 2)
	assert.Equal(t, "id=x", calls[1].RawQuery)

	_, err = raw.SendFile(ctx, c, "Greeter.Raw", strings.NewReader(`{"Err": "refused"}`))
	assert.EqualError(t, err, "refused")
}

func TestClientFor(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	env.ServeSocket("greeter", "Greeter")
	p, err := env.Store().Activate(context.Background(), "greeter")
	require.NoError(t, err)

	c, err := p.ClientFor("Greeter")
	require.NoError(t, err)
	assert.Same(t, p.Client, c)

	_, err = p.ClientFor("VolumeDriver")
	assert.ErrorIs(t, err, plugins.ErrNotImplements)
	assert.EqualError(t, err, `Plugin does not implement the requested driver: plugin="greeter", requested implementation="VolumeDriver"`)

	_, err = plugins.NewLocalPlugin("greeter", "unix:///x.sock").ClientFor("Greeter")
	assert.ErrorIs(t, err, plugins.ErrNotImplements, "a plugin not activated implements nothing yet")
}

// A typed client for a plugin interface this library does not know, in a
// few lines: a request type, an answer type and a Method each.
func ExampleMethod() {
	type HelloRequest struct{ Name string }
	type HelloResponse struct{ Greeting, Err string }
	hello := plugins.Method[HelloRequest, HelloResponse]{
		Name:    "Greeter.Hello",
		Timeout: time.Minute, // when the caller's context has no deadline
		Failure: func(r *HelloResponse) error { // the interface's convention for errors
			if r.Err != "" {
				return errors.New(r.Err)
			}
			return nil
		},
	}

	var scope pluginstest.Scope // a test passes its *testing.T instead
	defer scope.Close()
	env := pluginstest.New(&scope)
	env.ServeSocket("greeter", "Greeter").
		Handle("Greeter.Hello", pluginstest.Func(func(req HelloRequest) (any, error) {
			return HelloResponse{Greeting: "hello " + req.Name}, nil
		}))

	p, err := env.Store().Get("greeter", "Greeter")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := hello.Call(context.Background(), p.Client, HelloRequest{Name: "world"})
	fmt.Println(resp.Greeting, err)
	// Output: hello world <nil>
}

func TestAnswerError(t *testing.T) {
	t.Parallel()
	err := error(&plugins.AnswerError{Method: "NetworkDriver.Join", Message: "no such endpoint", Prefix: "remote: "})
	assert.EqualError(t, err, "remote: no such endpoint", "the engine's text")
	var ae *plugins.AnswerError
	require.ErrorAs(t, fmt.Errorf("joining: %w", err), &ae)
	assert.Equal(t, "NetworkDriver.Join", ae.Method)
	assert.EqualError(t, &plugins.AnswerError{Method: "VolumeDriver.Mount", Message: "busy"}, "busy")
}
