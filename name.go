package plugins

import (
	"strings"
	"unicode/utf8"
)

// maxNameLen keeps "<name>.sock", "<name>.spec" and "<name>.json" within the
// 255-byte file name limit of common file systems.
const maxNameLen = 250

// validateName refuses a plugin name that could escape the plugin
// directories or can never name a plugin file. It touches no file system.
func validateName(name string) error {
	if plainName(name) {
		return nil // the common case, checked in one pass: listing validates every name
	}
	return checkName(name)
}

// checkName is validateName for any name.
func checkName(name string) error {
	reason := ""
	switch {
	case name == "":
		reason = "empty name"
	case name == "." || name == "..":
		reason = "not a file name"
	case len(name) > maxNameLen:
		reason = "longer than 250 bytes"
	case strings.ContainsAny(name, `/\`):
		reason = "contains a path separator"
	case strings.IndexByte(name, 0) >= 0:
		reason = "contains a NUL byte"
	case !utf8.ValidString(name):
		reason = "not valid UTF-8"
	case strings.IndexFunc(name, isControl) >= 0:
		reason = "contains a control character"
	case hasVolumeName(name):
		reason = "is an absolute path"
	default:
		return nil
	}
	return &nameError{name: name, reason: reason}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// plainName reports whether name is valid without further checks: up to
// maxNameLen printable ASCII characters, none of which can make a path
// separator or a volume name, and not "." or "..".
func plainName(name string) bool {
	if name == "" || len(name) > maxNameLen || name == "." || name == ".." {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c >= 0x7f || c == '/' || c == '\\' || c == ':' {
			return false
		}
	}
	return true
}
