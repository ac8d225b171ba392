package logdriver_test

import (
	"reflect"
	"testing"
	"time"

	enginelogger "github.com/docker/docker/daemon/logger"
	"github.com/go-dockerplugins/plugins/interop/internal/enginetest"
	"github.com/go-dockerplugins/plugins/logdriver"
	"github.com/stretchr/testify/assert"
)

// The request and answer types against the engine's exported ones, field
// by field; the proxy's own request structs are unexported, and are checked
// by driving the adapter (TestEngineAdapter).
func TestTypesAgainstEngine(t *testing.T) {
	enginetest.SameShape(t, reflect.TypeOf(enginelogger.Info{}), reflect.TypeOf(logdriver.Info{}))
	enginetest.SameShape(t, reflect.TypeOf(enginelogger.ReadConfig{}), reflect.TypeOf(logdriver.ReadConfig{}))
	enginetest.SameShape(t, reflect.TypeOf(enginelogger.Capability{}), reflect.TypeOf(logdriver.Capability{}))

	doc := enginetest.SameJSON(t, engineInfo, typedInfo)
	assert.Contains(t, doc, `"ContainerCreated":"2025-03-04T05:06:07.890123456Z"`)
	zero := enginetest.SameJSON(t, enginelogger.Info{}, logdriver.Info{})
	assert.Contains(t, zero, `"Config":null`, "never left out")
	assert.Contains(t, zero, `"ContainerCreated":"0001-01-01T00:00:00Z"`)

	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	enginetest.SameJSON(t, enginelogger.ReadConfig{}, logdriver.ReadConfig{})
	enginetest.SameJSON(t, enginelogger.ReadConfig{Since: at, Until: at.Add(time.Minute), Tail: -1, Follow: true}, logdriver.ReadConfig{Since: at, Until: at.Add(time.Minute), Tail: -1, Follow: true})
	enginetest.SameJSON(t, enginelogger.Capability{ReadLogs: true}, logdriver.Capability{ReadLogs: true})

	for _, doc := range []string{
		doc, zero, `{}`, `null`,
		`{"config": {"a": "b"}, "containerid": "x", "ContainerCreated": null, "ContainerArgs": []}`,
		`{"ContainerCreated": "2025-03-04T05:06:07+01:00"}`,
		`{"ContainerCreated": ""}`,
		`{"ContainerArgs": "not a list"}`,
	} {
		enginetest.SameUnmarshal(t, doc, enginelogger.Info{}, logdriver.Info{})
	}
	for _, doc := range []string{
		`{"Since": "2025-03-04T05:06:07Z", "Until": "0001-01-01T00:00:00Z", "Tail": -1, "Follow": true}`,
		`{"tail": 10}`, `{"Tail": 1.5}`, `{"Since": 0}`,
	} {
		enginetest.SameUnmarshal(t, doc, enginelogger.ReadConfig{}, logdriver.ReadConfig{})
	}
	for _, doc := range []string{`{"ReadLogs": true}`, `{"readlogs": 1}`, `{}`} {
		enginetest.SameUnmarshal(t, doc, enginelogger.Capability{}, logdriver.Capability{})
	}
}
