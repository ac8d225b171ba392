package engine_test

import (
	"reflect"
	"testing"

	engine "github.com/docker/docker/pkg/plugins"
	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
	"github.com/stretchr/testify/assert"
)

// The seed API of this project differs from the engine's in its types and
// one error text; the wire does not depend on any of it.
func TestAPIDiffers(t *testing.T) {
	assert.Equal(t, "plugin not found", engine.ErrNotFound.Error())
	assert.Equal(t, "Plugin not found", plugins.ErrNotFound.Error())
	assert.Equal(t, engine.ErrNotImplements.Error(), plugins.ErrNotImplements.Error())
	assert.Equal(t, engine.VersionMimetype, plugins.VersionMimetype)

	options := reflect.TypeOf(tlsconfig.Options{})
	// TLSConfig: a pointer in the engine, a value here (nil and the zero
	// value mean the same: no TLS options).
	engTLS, _ := reflect.TypeOf(engine.Plugin{}).FieldByName("TLSConfig")
	ourTLS, _ := reflect.TypeOf(plugins.Plugin{}).FieldByName("TLSConfig")
	assert.Equal(t, reflect.PointerTo(options), engTLS.Type)
	assert.Equal(t, options, ourTLS.Type)
	assert.Equal(t, reflect.PointerTo(options), reflect.TypeOf(engine.NewClient).In(1))
	assert.Equal(t, options, reflect.TypeOf(plugins.NewClient).In(1))

	// Name and Client: methods in the engine, fields here.
	for _, name := range []string{"Name", "Client"} {
		_, isMethod := reflect.TypeOf(&engine.Plugin{}).MethodByName(name)
		_, isField := reflect.TypeOf(plugins.Plugin{}).FieldByName(name)
		assert.True(t, isMethod, "engine: %s()", name)
		assert.True(t, isField, "ours: .%s", name)
	}
}
