package conformance_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/conformance"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatusText(t *testing.T) {
	for _, st := range []conformance.Status{conformance.Pass, conformance.Skip, conformance.Warn, conformance.Fail} {
		b, err := st.MarshalText()
		require.NoError(t, err)
		var back conformance.Status
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, st, back)
		require.NoError(t, back.UnmarshalText([]byte(st.String())))
		assert.Equal(t, st, back)
	}
	_, err := conformance.Status(9).MarshalText()
	assert.Error(t, err)
	assert.Error(t, new(conformance.Status).UnmarshalText([]byte("meh")))
}

func TestReport(t *testing.T) {
	rep := conformance.Report{Plugin: "p", Findings: []conformance.Finding{
		{Interface: "Plugin", Check: "handshake", Status: conformance.Pass, Detail: "implements VolumeDriver"},
		{Interface: "VolumeDriver", Check: "list", Status: conformance.Fail, Detail: "status 500", Consequence: "The engine warns."},
		{Interface: "VolumeDriver", Check: "path", Status: conformance.Warn, Detail: "status 500", Consequence: "The engine ignores it."},
	}}
	assert.Equal(t, 1, rep.Count(conformance.Fail))
	assert.Len(t, rep.Flagged(), 2)
	f, ok := rep.Find("VolumeDriver", "list")
	require.True(t, ok)
	assert.Equal(t, "VolumeDriver/list: FAIL: status 500 -> The engine warns.", f.String())
	_, ok = rep.Find("VolumeDriver", "nope")
	assert.False(t, ok)
	assert.EqualError(t, rep.Err(), "plugin p: 1 of 3 checks failed:\nVolumeDriver/list: FAIL: status 500 -> The engine warns.")
	assert.NoError(t, conformance.Report{}.Err())

	b, err := json.Marshal(f)
	require.NoError(t, err)
	assert.JSONEq(t, `{"interface":"VolumeDriver","check":"list","status":"fail","detail":"status 500","consequence":"The engine warns."}`, string(b))
}

func TestRunNeedsAnActivatedPlugin(t *testing.T) {
	env := pluginstest.New(t)
	env.ServeSocket("p", "VolumeDriver")
	desc, err := env.Registry().Plugin("p")
	require.NoError(t, err)
	for _, p := range []*plugins.Plugin{nil, desc} {
		_, err := conformance.Run(context.Background(), p)
		assert.ErrorIs(t, err, conformance.ErrNotActivated)
	}
}

// Every address a plugin may have: a socket, TCP through a .spec file, TLS
// through a .json file, with Run and with RunAddr.
func TestAddresses(t *testing.T) {
	env := pluginstest.New(t)
	for _, p := range []*pluginstest.Plugin{
		env.ServeSocket("sock", "VolumeDriver"), env.ServeSpec("tcp", "VolumeDriver"), env.ServeJSON("tls", "VolumeDriver"),
	} {
		f := &fake{Plugin: p, handlers: map[string]http.Handler{}, volumes: map[string]map[string]bool{}}
		f.serveVolumes()
		t.Run(p.Name(), func(t *testing.T) {
			rep := run(t, env, p.Name(), conformance.WithWrite())
			assert.Empty(t, rep.Flagged())
			assert.Equal(t, p.Name(), rep.Plugin)

			rep, err := conformance.RunAddr(context.Background(), p.Addr())
			require.NoError(t, err)
			assert.Empty(t, rep.Flagged())
			assert.Equal(t, p.Addr(), rep.Plugin)
			ka, _ := rep.Find(conformance.Plugin, "keep-alive")
			assert.Equal(t, conformance.Pass, ka.Status, ka.Detail)
		})
	}
}

func TestRunAddrOfAPluginThatFailsItsHandshake(t *testing.T) {
	env := pluginstest.New(t)
	p := env.ServeSocket("p", "VolumeDriver").Inject(pluginstest.Fault{Method: "Plugin.Activate", Status: 500, Err: "not ready"})
	rep, err := conformance.RunAddr(context.Background(), p.Addr())
	require.NoError(t, err)
	require.Len(t, rep.Findings, 5)
	for _, f := range rep.Findings[1:] {
		assert.Equal(t, conformance.Skip, f.Status)
	}
	f := rep.Findings[0]
	assert.Equal(t, "handshake", f.Check)
	assert.Equal(t, conformance.Fail, f.Status)
	assert.Contains(t, f.Detail, "Plugin.Activate: not ready")
	assert.Error(t, rep.Err())

	_, err = conformance.RunAddr(context.Background(), "localhost:80")
	assert.ErrorContains(t, err, "Unknown protocol")
}
