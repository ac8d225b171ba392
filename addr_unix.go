//go:build unix

// Platform files follow one convention: NAME_unix.go (//go:build unix) and
// NAME_windows.go (//go:build windows) hold what differs between the two;
// NAME_other.go holds the fallback for every system the others do not
// cover (its constraint is their complement), so that the package builds
// everywhere. Each file states its constraint, even where its name implies it.

package plugins

import "syscall"

// maxUnixPath is the longest path a UNIX socket address can hold.
var maxUnixPath = len(syscall.RawSockaddrUnix{}.Path)
