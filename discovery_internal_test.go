package plugins

import (
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRegistryOptions(t *testing.T) {
	t.Parallel()
	r := NewLocalRegistry()
	assert.Equal(t, defaultSocketsDir, r.SocketsDir())
	assert.Equal(t, SpecsPaths(), r.SpecsDirs())

	r = NewLocalRegistry(WithSocketsDir("/s"), WithSpecsDirs("/a", "/b"))
	assert.Equal(t, "/s", r.SocketsDir())
	assert.Equal(t, []string{"/a", "/b"}, r.SpecsDirs())

	r = NewLocalRegistry(WithSocketsDir(""), WithSpecsDirs())
	paths, err := r.SearchPaths("x")
	require.NoError(t, err)
	assert.Empty(t, paths, "no directories, nothing searched")
}

// Not parallel: it sets environment variables.
func TestPermissionErrorsAreSkippedOnlyWhenRootless(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("rootless mode exists on UNIX only")
	}
	r := NewLocalRegistry()
	denied := &os.PathError{Op: "open", Path: "/etc/docker/plugins", Err: os.ErrPermission}
	t.Setenv("ROOTLESSKIT_STATE_DIR", "")
	assert.False(t, r.skippable(denied))
	t.Setenv("ROOTLESSKIT_STATE_DIR", "/run/user/1000/dockerd-rootless")
	assert.True(t, r.skippable(denied))
	assert.True(t, r.skippable(&os.PathError{Op: "stat", Path: "/x", Err: os.ErrNotExist}))
}
