package typedtest

import "github.com/go-dockerplugins/plugins/logdriver"

// NormalizeEntry forgets the difference between a nil and an empty line,
// which the encoding of log entries does not keep.
func NormalizeEntry(e logdriver.Entry) logdriver.Entry {
	if len(e.Line) == 0 {
		e.Line = nil
	}
	return e
}
