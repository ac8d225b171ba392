//go:build windows

package plugins

import (
	"os"
	"path/filepath"
)

// defaultSocketsDir is empty on Windows: plugins are named pipes found through spec files.
const defaultSocketsDir = ""

// specsPaths returns the spec directory, %ProgramData%\docker\plugins.
func specsPaths() []string {
	return []string{filepath.Join(os.Getenv("programdata"), "docker", "plugins")}
}

// runningRootless is always false on Windows.
func runningRootless() bool { return false }

// hasVolumeName reports names such as "C:x" that filepath.Join would anchor to a drive.
func hasVolumeName(name string) bool { return filepath.VolumeName(name) != "" }
