package plugins_test

import (
	"context"
	"testing"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoClient is a typed client of the Echo interface, made with
// plugins.TypedClient.
type echoClient struct{ c *plugins.Client }

func newEchoClient(c *plugins.Client) *echoClient { return &echoClient{c: c} }

type echoResponse struct {
	Said string
	Err  string
}

func TestTypedClient(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	env.ServeSocket("echo", "Echo")
	env.ServeSocket("vol", "VolumeDriver")

	p, err := env.Store().Get("echo", "Echo")
	require.NoError(t, err)
	c, err := plugins.TypedClient(p, "Echo", newEchoClient)
	require.NoError(t, err)
	assert.Same(t, p.Client, c.c)

	p, err = env.Store().Get("vol", "VolumeDriver")
	require.NoError(t, err)
	c, err = plugins.TypedClient(p, "Echo", newEchoClient)
	assert.ErrorIs(t, err, plugins.ErrNotImplements)
	assert.EqualError(t, err, `Plugin does not implement the requested driver: plugin="vol", requested implementation="Echo"`)
	assert.Nil(t, c)
}

func TestAnswerFailure(t *testing.T) {
	t.Parallel()
	// echo is a method of the Echo interface, whose answers carry the
	// plugin's error in Err, after "remote: " in the error's text.
	echo := func(name string) plugins.Method[struct{}, echoResponse] {
		return plugins.Method[struct{}, echoResponse]{
			Name:    name,
			Failure: plugins.AnswerFailure(name, "remote: ", func(r *echoResponse) string { return r.Err }),
		}
	}
	env := pluginstest.New(t)
	env.ServeSocket("echo", "Echo").
		Handle("Echo.Say", pluginstest.Reply(echoResponse{Said: "hi", Err: ""})).
		Handle("Echo.Croak", pluginstest.Reply(echoResponse{Said: "partly", Err: "hoarse"}))
	p, err := env.Store().Get("echo", "Echo")
	require.NoError(t, err)

	resp, err := echo("Echo.Say").Call(context.Background(), p.Client, struct{}{})
	require.NoError(t, err, "an empty text is no error")
	assert.Equal(t, echoResponse{Said: "hi"}, resp)

	resp, err = echo("Echo.Croak").Call(context.Background(), p.Client, struct{}{})
	assert.EqualError(t, err, "remote: hoarse", "the text after the prefix")
	assert.Equal(t, &plugins.AnswerError{Method: "Echo.Croak", Message: "hoarse", Prefix: "remote: "}, err)
	assert.Equal(t, "partly", resp.Said, "the answer comes with its error")
}
