//go:build !unix && !windows

package plugins

// defaultSocketsDir is empty where Docker does not run: plugins are found
// only in the directories a program gives.
const defaultSocketsDir = ""

// specsPaths returns no directory where Docker does not run.
func specsPaths() []string { return nil }

// runningRootless is false where there is no RootlessKit.
func runningRootless() bool { return false }

// hasVolumeName is false: no drive letters.
func hasVolumeName(string) bool { return false }
