//go:build unix

package plugins

import "syscall"

// openSpecFlags opens spec files without blocking: a spec path replaced by
// a FIFO after its type was checked must not hang the lookup.
const openSpecFlags = syscall.O_NONBLOCK
