//go:build unix

package plugins

import (
	"os"
	"os/user"
	"path/filepath"
)

// defaultSocketsDir is where plugins listen on UNIX sockets.
const defaultSocketsDir = "/run/docker/plugins"

// specsPaths returns the spec directories in lookup order: the system ones,
// or, when running under RootlessKit, the user's configuration and library
// directories (falling back to the system ones when they cannot be derived).
func specsPaths() []string {
	if os.Getenv("ROOTLESSKIT_STATE_DIR") == "" {
		return []string{"/etc/docker/plugins", "/usr/lib/docker/plugins"}
	}
	config, lib := "/etc/docker/plugins", "/usr/lib/docker/plugins"
	if dir := os.Getenv("XDG_CONFIG_HOME"); dir != "" {
		config = filepath.Join(dir, "docker", "plugins")
	} else if home := homeDir(); home != "" {
		config = filepath.Join(home, ".config", "docker", "plugins")
	}
	if home := homeDir(); home != "" {
		lib = filepath.Join(home, ".local", "lib", "docker", "plugins")
	}
	return []string{config, lib}
}

// homeDir is $HOME, or the home directory of the current user when HOME is unset.
func homeDir() string {
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return home
	}
	if u, err := user.Current(); err == nil {
		return u.HomeDir
	}
	return ""
}

// runningRootless reports whether permission errors on spec directories are
// expected (and skipped) because the process runs under RootlessKit.
func runningRootless() bool {
	return os.Getenv("ROOTLESSKIT_STATE_DIR") != ""
}

// hasVolumeName is false on UNIX: absolute names already contain a '/'.
func hasVolumeName(string) bool { return false }
