package engine_test

import (
	"reflect"
	"testing"
	"unsafe"

	engine "github.com/docker/docker/pkg/plugins"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/stretchr/testify/require"
)

// engineRegistry returns the engine's LocalRegistry over the test's own
// directories.
//
// The engine offers no way to choose them: NewLocalRegistry hard-codes
// /run/docker/plugins and /etc/docker/plugins, which tests must never read
// or write, and the fields holding the paths are unexported. So this sets
// those fields through reflect and unsafe, on a registry of our own, and
// fails loudly if the engine's struct ever changes shape, rather than
// silently searching the machine's directories.
func engineRegistry(t testing.TB, d plugintest.Dirs) *engine.LocalRegistry {
	t.Helper()
	var r engine.LocalRegistry
	v := reflect.ValueOf(&r).Elem()
	require.Equal(t, 2, v.NumField(), "engine.LocalRegistry changed: expected exactly socketsPath and specsPaths")
	setUnexported(t, v, "socketsPath", d.Sockets)
	setUnexported(t, v, "specsPaths", d.Specs[:])
	return &r
}

func setUnexported(t testing.TB, v reflect.Value, name string, value any) {
	t.Helper()
	f := v.FieldByName(name)
	require.Truef(t, f.IsValid(), "engine.LocalRegistry has no field %q any more", name)
	x := reflect.ValueOf(value)
	require.Equalf(t, f.Type(), x.Type(), "engine.LocalRegistry.%s changed type", name)
	reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Set(x)
}

// The helper must really redirect the engine to the test's directories.
func TestEngineRegistryUsesTestDirs(t *testing.T) {
	d := plugintest.NewDirs(t)
	plugintest.WriteFile(t, d.Specs[1]+"/here.spec", "tcp://192.0.2.1:80")
	p, err := engineRegistry(t, d).Plugin("here")
	require.NoError(t, err)
	require.Equal(t, "tcp://192.0.2.1:80", p.Addr)
}
