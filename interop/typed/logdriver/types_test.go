package logdriver_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	enginelogger "github.com/docker/docker/daemon/logger"
	"github.com/go-dockerplugins/plugins/logdriver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// key is a struct field as JSON sees it.
type key struct {
	Name      string
	OmitEmpty bool
	Kind      reflect.Kind
}

// keys lists the JSON keys of a struct type, in order.
func keys(t reflect.Type) []key {
	var out []key
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, key{Name: name, OmitEmpty: strings.Contains(opts, "omitempty"), Kind: f.Type.Kind()})
	}
	return out
}

// sameShape checks that two types encode to the same JSON shape: the same
// keys in the same order, omitempty alike, and the same kinds all the way
// down.
func sameShape(t *testing.T, engine, typed reflect.Type) {
	t.Helper()
	require.Equal(t, engine.Kind(), typed.Kind(), "%s and %s", engine, typed)
	switch engine.Kind() {
	case reflect.Struct:
		if engine == typed { // time.Time, say
			return
		}
		require.Equal(t, keys(engine), keys(typed), "%s and %s", engine, typed)
		for i, j := 0, 0; i < engine.NumField(); i++ {
			if !engine.Field(i).IsExported() {
				continue
			}
			for !typed.Field(j).IsExported() {
				j++
			}
			sameShape(t, engine.Field(i).Type, typed.Field(j).Type)
			j++
		}
	case reflect.Slice, reflect.Pointer:
		sameShape(t, engine.Elem(), typed.Elem())
	case reflect.Map:
		sameShape(t, engine.Key(), typed.Key())
		sameShape(t, engine.Elem(), typed.Elem())
	}
}

// sameJSON checks that both values marshal to the same bytes, and returns them.
func sameJSON(t *testing.T, engine, typed any) string {
	t.Helper()
	e, err := json.Marshal(engine)
	require.NoError(t, err)
	g, err := json.Marshal(typed)
	require.NoError(t, err)
	require.Equal(t, string(e), string(g))
	return string(e)
}

// sameUnmarshal unmarshals doc into new values of both types and checks
// that both fail, or both hold the same (marshalled again, byte for byte).
func sameUnmarshal(t *testing.T, doc string, engine, typed any) {
	t.Helper()
	e := reflect.New(reflect.TypeOf(engine))
	g := reflect.New(reflect.TypeOf(typed))
	engineErr := json.Unmarshal([]byte(doc), e.Interface())
	typedErr := json.Unmarshal([]byte(doc), g.Interface())
	if engineErr != nil {
		require.Error(t, typedErr, "the engine refuses %s: %v", doc, engineErr)
		return
	}
	require.NoError(t, typedErr, doc)
	sameJSON(t, e.Elem().Interface(), g.Elem().Interface())
}

// The request and answer types against the engine's exported ones, field
// by field; the proxy's own request structs are unexported, and are checked
// by driving the adapter (TestEngineAdapter).
func TestTypesAgainstEngine(t *testing.T) {
	sameShape(t, reflect.TypeOf(enginelogger.Info{}), reflect.TypeOf(logdriver.Info{}))
	sameShape(t, reflect.TypeOf(enginelogger.ReadConfig{}), reflect.TypeOf(logdriver.ReadConfig{}))
	sameShape(t, reflect.TypeOf(enginelogger.Capability{}), reflect.TypeOf(logdriver.Capability{}))

	doc := sameJSON(t, engineInfo, typedInfo)
	assert.Contains(t, doc, `"ContainerCreated":"2025-03-04T05:06:07.890123456Z"`)
	zero := sameJSON(t, enginelogger.Info{}, logdriver.Info{})
	assert.Contains(t, zero, `"Config":null`, "never left out")
	assert.Contains(t, zero, `"ContainerCreated":"0001-01-01T00:00:00Z"`)

	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	sameJSON(t, enginelogger.ReadConfig{}, logdriver.ReadConfig{})
	sameJSON(t, enginelogger.ReadConfig{Since: at, Until: at.Add(time.Minute), Tail: -1, Follow: true}, logdriver.ReadConfig{Since: at, Until: at.Add(time.Minute), Tail: -1, Follow: true})
	sameJSON(t, enginelogger.Capability{ReadLogs: true}, logdriver.Capability{ReadLogs: true})

	for _, doc := range []string{
		doc, zero, `{}`, `null`,
		`{"config": {"a": "b"}, "containerid": "x", "ContainerCreated": null, "ContainerArgs": []}`,
		`{"ContainerCreated": "2025-03-04T05:06:07+01:00"}`,
		`{"ContainerCreated": ""}`,
		`{"ContainerArgs": "not a list"}`,
	} {
		sameUnmarshal(t, doc, enginelogger.Info{}, logdriver.Info{})
	}
	for _, doc := range []string{
		`{"Since": "2025-03-04T05:06:07Z", "Until": "0001-01-01T00:00:00Z", "Tail": -1, "Follow": true}`,
		`{"tail": 10}`, `{"Tail": 1.5}`, `{"Since": 0}`,
	} {
		sameUnmarshal(t, doc, enginelogger.ReadConfig{}, logdriver.ReadConfig{})
	}
	for _, doc := range []string{`{"ReadLogs": true}`, `{"readlogs": 1}`, `{}`} {
		sameUnmarshal(t, doc, enginelogger.Capability{}, logdriver.Capability{})
	}
}
