//go:build !unix

package plugins

// openSpecFlags: no FIFOs to fear.
const openSpecFlags = 0
