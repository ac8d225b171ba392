package enginetest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

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

var marshaler = reflect.TypeOf((*json.Marshaler)(nil)).Elem()

// SameShape checks that two types encode to the same JSON shape: the same
// keys in the same order, omitempty alike, and the same kinds all the way
// down. Types with their own JSON encoding (a PeerCertificate, a
// time.Time) are compared by value instead, elsewhere.
func SameShape(t *testing.T, engine, typed reflect.Type) {
	t.Helper()
	require.Equal(t, engine.Kind(), typed.Kind(), "%s and %s", engine, typed)
	if reflect.PointerTo(engine).Implements(marshaler) {
		require.True(t, reflect.PointerTo(typed).Implements(marshaler), "%s has its own JSON encoding, %s has not", engine, typed)
		return
	}
	switch engine.Kind() {
	case reflect.Struct:
		if engine == typed {
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
			SameShape(t, engine.Field(i).Type, typed.Field(j).Type)
			j++
		}
	case reflect.Slice, reflect.Pointer:
		SameShape(t, engine.Elem(), typed.Elem())
	case reflect.Map:
		SameShape(t, engine.Key(), typed.Key())
		SameShape(t, engine.Elem(), typed.Elem())
	}
}

// SameJSON checks that both values marshal to the same bytes, and returns
// them.
func SameJSON(t *testing.T, engine, typed any) string {
	t.Helper()
	e, err := json.Marshal(engine)
	require.NoError(t, err)
	g, err := json.Marshal(typed)
	require.NoError(t, err)
	require.Equal(t, string(e), string(g))
	return string(e)
}

// SameUnmarshal unmarshals doc into new values of the types of engine and
// typed, and checks that both fail, or both hold the same (marshalled
// again, byte for byte).
func SameUnmarshal(t *testing.T, doc string, engine, typed any) {
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
	SameJSON(t, e.Elem().Interface(), g.Elem().Interface())
}

// AnswerCase is an answer type of the typed package and the engine's, and
// answers to decode into both.
type AnswerCase struct {
	Engine, Ours any // pointers to zero values
	Answers      []string
}

// AnswersAgree checks, for each answer of each case, that it decodes into
// both types, and that what they read, written back, gives the same bytes.
func AnswersAgree(t *testing.T, cases []AnswerCase) {
	t.Helper()
	for _, tc := range cases {
		for _, answer := range tc.Answers {
			t.Run(reflect.TypeOf(tc.Ours).Elem().Name()+" "+answer, func(t *testing.T) {
				eng := reflect.New(reflect.TypeOf(tc.Engine).Elem()).Interface()
				ours := reflect.New(reflect.TypeOf(tc.Ours).Elem()).Interface()
				require.NoError(t, json.Unmarshal([]byte(answer), eng))
				require.NoError(t, json.Unmarshal([]byte(answer), ours))
				want, err := json.Marshal(eng)
				require.NoError(t, err)
				got, err := json.Marshal(ours)
				require.NoError(t, err)
				assert.Equal(t, string(want), string(got))
			})
		}
	}
}

// RequestCase is a value of the engine's type for a request, then a value
// of the typed package's type for the same request.
type RequestCase [2]any

// RequestsAgree checks, for each case, that both values marshal to the
// same bytes.
func RequestsAgree(t *testing.T, cases []RequestCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(reflect.TypeOf(tc[1]).Name(), func(t *testing.T) {
			want, err := json.Marshal(tc[0])
			require.NoError(t, err)
			got, err := json.Marshal(tc[1])
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		})
	}
}
