// Package typed holds what the typed clients (volume, network, ipam, ...)
// share besides plugins.Method: the engine's conventions for a method that
// is optional or has no arguments, for the error of a remote driver's
// answer, and for a call whose answer holds nothing but an error.
package typed

import (
	"fmt"
	"reflect"

	"github.com/go-dockerplugins/plugins"
)

// Optional makes a 404 answer a success, with m's Fallback.
func Optional[Req, Resp any](m plugins.Method[Req, Resp]) plugins.Method[Req, Resp] {
	m.Optional = true
	return m
}

// NoBody sends no request body, as the engine does for methods without
// arguments.
func NoBody[Req, Resp any](m plugins.Method[Req, Resp]) plugins.Method[Req, Resp] {
	m.NoBody = true
	return m
}

// ErrOnly keeps the error of a call whose answer holds nothing else.
func ErrOnly[T any](_ T, err error) error { return err }

// Remote returns the method full of a remote driver (network or IPAM)
// whose answers carry the driver's error in the string field named field,
// their own or, as every answer type of these interfaces has it, their
// embedded Response's: when it is not empty, the call fails with the
// engine's text, "remote: " and the field. It panics, when the typed
// package is initialized, if Resp has no such field.
func Remote[Req, Resp any](full, field string) plugins.Method[Req, Resp] {
	f, ok := reflect.TypeFor[Resp]().FieldByName(field)
	if !ok || f.Type.Kind() != reflect.String {
		panic(fmt.Sprintf("%s: %v has no string field %s", full, reflect.TypeFor[Resp](), field))
	}
	return plugins.Method[Req, Resp]{
		Name: full,
		Failure: plugins.AnswerFailure(full, "remote: ", func(r *Resp) string {
			return reflect.ValueOf(r).Elem().FieldByIndex(f.Index).String()
		}),
	}
}
