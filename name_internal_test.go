package plugins

import (
	"errors"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInvalidNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A plugin outside the sockets directory that "../" would reach.
	testkit.ListenUnix(t, filepath.Join(filepath.Dir(e.sockets), "outside.sock"))
	r := e.registry()

	long := strings.Repeat("a", maxNameLen+1)
	for _, name := range []string{
		"", ".", "..", "../outside", "a/b", `a\b`, "/abs", "a\x00b", "tab\tname", "\xff\xfe", long,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := r.Plugin(name)
			require.ErrorIs(t, err, ErrInvalidName)
			require.ErrorIs(t, err, ErrNotFound, "a name that cannot exist is not found")
			assert.Contains(t, err.Error(), strconv.Quote(name), "the error names the bad name")
			var le *LookupError
			assert.False(t, errors.As(err, &le), "refused before any path was searched")

			_, err = r.SearchPaths(name)
			assert.ErrorIs(t, err, ErrInvalidName)
		})
	}
	valid := []string{"x", "a.b", "a..b", "ünïcödé", "my-plugin_2", long[:maxNameLen]}
	if runtime.GOOS != "windows" {
		valid = append(valid, "a:b") // a drive-relative path on Windows
	}
	for _, name := range valid {
		t.Run("valid "+name, func(t *testing.T) {
			assert.NoError(t, validateName(name))
			_, err := r.Plugin(name)
			assert.NotErrorIs(t, err, ErrInvalidName)
		})
	}
}

func TestPlainNamesNeedNoFurtherCheck(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", maxNameLen)
	names := []string{"", ".", "..", "...", "x", "a.b", "my-plugin_2", "a b", "a:b", `a\b`, "a/b", "C:x",
		"a\x00b", "tab\tname", "del\x7f", "ünïcödé", "\xff", long, long + "a", "~user", "-x"}
	for c := 0; c < 0x100; c++ {
		names = append(names, string([]byte{'p', byte(c)}))
	}
	for _, name := range names {
		if plainName(name) {
			assert.NoError(t, checkName(name), "%q", name)
		}
		assert.Equal(t, checkName(name) == nil, validateName(name) == nil, "%q", name)
	}
}
