//go:build !unix

package plugins

// maxUnixPath is the longest path a UNIX socket address can hold: 108
// bytes, as on Linux and in Windows' AF_UNIX.
const maxUnixPath = 108
