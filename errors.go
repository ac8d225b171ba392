package plugins

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

var (
	// ErrNotFound is matched by the error of a lookup that found no plugin
	// of the name asked for.
	//
	// Every error that means a plugin could not be found by name satisfies
	// errors.Is(err, ErrNotFound), including the error for a name that can
	// never name a plugin (see ErrInvalidName). Its text is the seed API's.
	ErrNotFound = errors.New("Plugin not found")

	// ErrNotImplements is matched by the error of a Get whose plugin's
	// manifest does not list the interface asked for. Its text is the seed
	// API's.
	ErrNotImplements = errors.New("Plugin does not implement the requested driver")

	// ErrInvalidName is matched by the error for a plugin name that is empty,
	// contains a path separator or NUL, is "." or "..", is absolute, is not
	// valid UTF-8 or is too long to be a file name. Such names are refused
	// before any file system access; the error also matches ErrNotFound.
	ErrInvalidName = errors.New("invalid plugin name")

	// ErrClientClosed is matched by the error of a call on a Client, or a
	// plugin of a Store, that was closed.
	ErrClientClosed = errors.New("plugin client closed")

	// ErrStoreClosed is matched by the error of Get and GetAll on a Store
	// that was closed.
	ErrStoreClosed = errors.New("plugin store closed")

	// ErrOutcomeUnknown is matched by the error of a call made with
	// WithNoResend or WithRequestNoResend whose request was written whole
	// but got no complete answer: the plugin may or may not have acted on
	// it, and it was not sent again.
	ErrOutcomeUnknown = errors.New("outcome unknown: the request was sent whole and may have been acted on, so it was not sent again")
)

// AnswerError is an error a plugin reported inside a successful (200)
// answer, in the field its interface keeps for it (Err, or Error for IPAM):
// typed clients return it where the engine would fail the call. Its text
// is the engine's for that interface: the message, after Prefix.
type AnswerError struct {
	// Method is the service method that was called.
	Method string
	// Message is the plugin's message.
	Message string
	// Prefix is what the engine writes before the message for this
	// interface: "remote: " for network and IPAM drivers, nothing for most.
	Prefix string
}

func (e *AnswerError) Error() string { return e.Prefix + e.Message }

// AnswerTooLargeError is the error of a call whose answer is longer than
// the client's bound (see WithMaxAnswerSize).
type AnswerTooLargeError struct {
	// Limit is the bound, in bytes.
	Limit int64
}

func (e *AnswerTooLargeError) Error() string {
	return fmt.Sprintf("answer longer than %s (the bound set by WithMaxAnswerSize)", formatSize(e.Limit))
}

// formatSize writes n bytes in the largest binary unit that divides it.
func formatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// StatusError is the error of a call that the plugin answered with an HTTP
// status other than 200. Its text is "<Service.Method>: <message>", exactly as
// the engine's client formats it, where the message is the Err field of a JSON
// error body or else the raw body (truncated to a bounded prefix).
type StatusError struct {
	// StatusCode is the HTTP status the plugin answered with.
	StatusCode int
	// Method is the service method that was called, e.g. "VolumeDriver.Create".
	Method string
	// Message is the plugin's error message.
	Message string
}

// Error returns "<Method>: <Message>".
func (e *StatusError) Error() string {
	return e.Method + ": " + e.Message
}

// IsNotFound reports whether err, or any error it wraps, is a StatusError for
// an HTTP 404 answer: the way a plugin says it does not implement an optional
// method such as VolumeDriver.Capabilities.
func IsNotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.StatusCode == http.StatusNotFound
}

// LookupError is the error of a failed lookup of a plugin by name. It
// unwraps to ErrNotFound when no candidate path exists, or to the error that
// made the first existing candidate unusable (an unreadable or malformed spec
// file, say).
type LookupError struct {
	// Name is the plugin name that was looked up.
	Name string
	// Searched lists every path that was tried, in lookup order.
	Searched []string
	// Err is the cause.
	Err error
}

// Error names the plugin and, for a plugin that was not found, every path searched.
func (e *LookupError) Error() string {
	if errors.Is(e.Err, ErrNotFound) {
		return fmt.Sprintf("plugin %q: %v (searched %s)", e.Name, e.Err, strings.Join(e.Searched, ", "))
	}
	return fmt.Sprintf("plugin %q: %v", e.Name, e.Err)
}

// Unwrap returns the cause.
func (e *LookupError) Unwrap() error { return e.Err }

// nameError is the error of an invalid plugin name; it matches both
// ErrInvalidName and ErrNotFound.
type nameError struct {
	name   string
	reason string
}

func (e *nameError) Error() string {
	return fmt.Sprintf("%v %q: %s", ErrInvalidName, e.name, e.reason)
}

func (e *nameError) Unwrap() []error { return []error{ErrInvalidName, ErrNotFound} }

// notImplementsError formats the engine's error for a plugin that lacks an interface.
func notImplementsError(name, imp string) error {
	return fmt.Errorf("%w: plugin=%q, requested implementation=%q", ErrNotImplements, name, imp)
}
