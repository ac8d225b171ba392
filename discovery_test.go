package plugins

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// listenSocket creates a UNIX socket file at path (nothing answers on it).
func listenSocket(t *testing.T, path string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	l, err := net.Listen("unix", path)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
}

// staleSocket leaves a socket file at path that nothing listens on, as a
// crashed plugin does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	require.NoError(t, err)
	l.SetUnlinkOnClose(false)
	require.NoError(t, l.Close())
}

func TestLookupLayouts(t *testing.T) {
	insecure := tlsconfig.Options{InsecureSkipVerify: true}
	type want struct {
		addr   string
		tls    tlsconfig.Options
		source string // relative to the env root
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, e env)
		want  func(e env) want
	}{
		{
			name:  "socket",
			setup: func(t *testing.T, e env) { listenSocket(t, e.socket("p")) },
			want:  func(e env) want { return want{"unix://" + e.socket("p"), insecure, e.socket("p")} },
		},
		{
			name:  "socket in subdirectory",
			setup: func(t *testing.T, e env) { listenSocket(t, filepath.Join(e.sockets, "p", "p.sock")) },
			want: func(e env) want {
				p := filepath.Join(e.sockets, "p", "p.sock")
				return want{"unix://" + p, insecure, p}
			},
		},
		{
			name:  "spec file",
			setup: func(t *testing.T, e env) { writeFile(t, filepath.Join(e.specs[0], "p.spec"), "tcp://127.0.0.1:8080") },
			want: func(e env) want {
				return want{"tcp://127.0.0.1:8080", insecure, filepath.Join(e.specs[0], "p.spec")}
			},
		},
		{
			name: "spec file with surrounding white space",
			setup: func(t *testing.T, e env) {
				writeFile(t, filepath.Join(e.specs[0], "p.spec"), "\n\t  tcp://127.0.0.1:8080 \r\n\n")
			},
			want: func(e env) want {
				return want{"tcp://127.0.0.1:8080", insecure, filepath.Join(e.specs[0], "p.spec")}
			},
		},
		{
			name:  "spec file in subdirectory",
			setup: func(t *testing.T, e env) { writeFile(t, filepath.Join(e.specs[0], "p", "p.spec"), "unix:///x/p.sock") },
			want: func(e env) want {
				return want{"unix:///x/p.sock", insecure, filepath.Join(e.specs[0], "p", "p.spec")}
			},
		},
		{
			name: "json file: name from the file, TLS given without CA skips verification",
			setup: func(t *testing.T, e env) {
				writeFile(t, filepath.Join(e.specs[0], "p.json"),
					`{"Name": "other", "Addr": "https://127.0.0.1:9443", "TLSConfig": {"CertFile": "/c.pem", "KeyFile": "/k.pem"}}`)
			},
			want: func(e env) want {
				return want{"https://127.0.0.1:9443",
					tlsconfig.Options{CertFile: "/c.pem", KeyFile: "/k.pem", InsecureSkipVerify: true},
					filepath.Join(e.specs[0], "p.json")}
			},
		},
		{
			name: "json file with CA keeps verification",
			setup: func(t *testing.T, e env) {
				writeFile(t, filepath.Join(e.specs[0], "p.json"),
					`{"Addr": "https://127.0.0.1:9443", "TLSConfig": {"CAFile": "/ca.pem"}}`)
			},
			want: func(e env) want {
				return want{"https://127.0.0.1:9443", tlsconfig.Options{CAFile: "/ca.pem"}, filepath.Join(e.specs[0], "p.json")}
			},
		},
		{
			name: "json file without TLSConfig verifies with the system roots",
			setup: func(t *testing.T, e env) {
				writeFile(t, filepath.Join(e.specs[0], "p", "p.json"), `{"Addr": "https://127.0.0.1:9443", "Unknown": [1]}`)
			},
			want: func(e env) want {
				return want{"https://127.0.0.1:9443", tlsconfig.Options{}, filepath.Join(e.specs[0], "p", "p.json")}
			},
		},
		{
			name:  "second spec directory",
			setup: func(t *testing.T, e env) { writeFile(t, filepath.Join(e.specs[1], "p.spec"), "tcp://127.0.0.1:2") },
			want: func(e env) want {
				return want{"tcp://127.0.0.1:2", insecure, filepath.Join(e.specs[1], "p.spec")}
			},
		},
		{
			name: "socket wins over spec file",
			setup: func(t *testing.T, e env) {
				writeFile(t, filepath.Join(e.specs[0], "p.spec"), "tcp://127.0.0.1:1")
				listenSocket(t, filepath.Join(e.sockets, "p", "p.sock"))
			},
			want: func(e env) want {
				p := filepath.Join(e.sockets, "p", "p.sock")
				return want{"unix://" + p, insecure, p}
			},
		},
		{
			name: "NAME.sock wins over NAME/NAME.sock",
			setup: func(t *testing.T, e env) {
				listenSocket(t, filepath.Join(e.sockets, "p", "p.sock"))
				listenSocket(t, e.socket("p"))
			},
			want: func(e env) want { return want{"unix://" + e.socket("p"), insecure, e.socket("p")} },
		},
		{
			name: "regular file named NAME.sock is not a plugin",
			setup: func(t *testing.T, e env) {
				writeFile(t, e.socket("p"), "")
				writeFile(t, filepath.Join(e.specs[1], "p.spec"), "tcp://127.0.0.1:3")
			},
			want: func(e env) want {
				return want{"tcp://127.0.0.1:3", insecure, filepath.Join(e.specs[1], "p.spec")}
			},
		},
		{
			name: "NAME.spec wins over NAME/NAME.spec, NAME.json and the next directory",
			setup: func(t *testing.T, e env) {
				writeFile(t, filepath.Join(e.specs[1], "p.spec"), "tcp://127.0.0.1:4")
				writeFile(t, filepath.Join(e.specs[0], "p.json"), `{"Addr": "tcp://127.0.0.1:3"}`)
				writeFile(t, filepath.Join(e.specs[0], "p", "p.spec"), "tcp://127.0.0.1:2")
				writeFile(t, filepath.Join(e.specs[0], "p.spec"), "tcp://127.0.0.1:1")
			},
			want: func(e env) want {
				return want{"tcp://127.0.0.1:1", insecure, filepath.Join(e.specs[0], "p.spec")}
			},
		},
		{
			name: "NAME/NAME.spec wins over NAME.json",
			setup: func(t *testing.T, e env) {
				writeFile(t, filepath.Join(e.specs[0], "p.json"), `{"Addr": "tcp://127.0.0.1:3"}`)
				writeFile(t, filepath.Join(e.specs[0], "p", "p.spec"), "tcp://127.0.0.1:2")
			},
			want: func(e env) want {
				return want{"tcp://127.0.0.1:2", insecure, filepath.Join(e.specs[0], "p", "p.spec")}
			},
		},
		{
			name: "NAME.json wins over NAME/NAME.json",
			setup: func(t *testing.T, e env) {
				writeFile(t, filepath.Join(e.specs[0], "p", "p.json"), `{"Addr": "tcp://127.0.0.1:4"}`)
				writeFile(t, filepath.Join(e.specs[0], "p.json"), `{"Addr": "tcp://127.0.0.1:3"}`)
			},
			want: func(e env) want {
				return want{"tcp://127.0.0.1:3", tlsconfig.Options{}, filepath.Join(e.specs[0], "p.json")}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tt.setup(t, e)
			w := tt.want(e)
			r := e.registry()

			p, err := r.Plugin("p")
			require.NoError(t, err)
			assert.Equal(t, "p", p.Name)
			assert.Equal(t, w.addr, p.Addr)
			assert.Equal(t, w.tls, p.TLSConfig)
			assert.Equal(t, w.source, p.Source())
			assert.Nil(t, p.Client)
			assert.Nil(t, p.Manifest)

			// Listing resolves the name the same way.
			all, err := r.Plugins()
			require.NoError(t, err)
			require.Len(t, all, 1)
			assert.Equal(t, p, all[0])
		})
	}
}

func TestLookupNotFoundListsEverySearchedPath(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, os.MkdirAll(e.specs[0], 0o755)) // one directory exists, the others do not

	_, err := e.registry().Plugin("nope")
	require.ErrorIs(t, err, ErrNotFound)
	var le *LookupError
	require.ErrorAs(t, err, &le)
	want := []string{
		filepath.Join(e.sockets, "nope.sock"), filepath.Join(e.sockets, "nope", "nope.sock"),
		filepath.Join(e.specs[0], "nope.spec"), filepath.Join(e.specs[0], "nope", "nope.spec"),
		filepath.Join(e.specs[0], "nope.json"), filepath.Join(e.specs[0], "nope", "nope.json"),
		filepath.Join(e.specs[1], "nope.spec"), filepath.Join(e.specs[1], "nope", "nope.spec"),
		filepath.Join(e.specs[1], "nope.json"), filepath.Join(e.specs[1], "nope", "nope.json"),
	}
	assert.Equal(t, want, le.Searched)
	for _, p := range want {
		assert.Contains(t, err.Error(), p)
	}
	assert.Contains(t, err.Error(), `"nope"`)

	paths, err := e.registry().SearchPaths("nope")
	require.NoError(t, err)
	assert.Equal(t, want, paths)
}

func TestSpecFileErrors(t *testing.T) {
	tests := []struct {
		name, file, content, wantErr string
	}{
		{"no scheme", "p.spec", "localhost:8080", "Unknown protocol"},
		{"path without scheme", "p.spec", "/run/p.sock", "Unknown protocol"},
		{"unknown scheme", "p.spec", "ftp://127.0.0.1:21", `Unknown protocol "ftp"`},
		{"file scheme", "p.spec", "file:///etc/passwd", `Unknown protocol "file"`},
		{"empty spec", "p.spec", " \n", "Unknown protocol"},
		{"relative unix path", "p.spec", "unix://relative.sock", "must be absolute"},
		{"tcp without port", "p.spec", "tcp://127.0.0.1", "want host:port"},
		{"binary", "p.spec", "tcp://\x00\x01\x02", "control characters"},
		{"json syntax", "p.json", `{"Addr": `, "invalid JSON"},
		{"json wrong type", "p.json", `{"Addr": 42}`, "invalid JSON"},
		{"json empty", "p.json", ``, "empty file"},
		{"json without address", "p.json", `{"Name": "p"}`, "Unknown protocol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			path := filepath.Join(e.specs[0], tt.file)
			writeFile(t, path, tt.content)

			_, err := e.registry().Plugin("p")
			require.Error(t, err)
			assert.NotErrorIs(t, err, ErrNotFound)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), path, "the error names the file")

			// Listing leaves the plugin out but still knows its name.
			all, err := e.registry().Plugins()
			require.NoError(t, err)
			assert.Empty(t, all)
			names, err := e.registry().Scan()
			require.NoError(t, err)
			assert.Equal(t, []string{"p"}, names)
		})
	}
}

func TestSpecFileTooLarge(t *testing.T) {
	e := newEnv(t)
	path := filepath.Join(e.specs[0], "p.spec")
	big := make([]byte, maxSpecSize+1)
	for i := range big {
		big[i] = ' '
	}
	writeFile(t, path, "tcp://127.0.0.1:1"+string(big))
	_, err := e.registry().Plugin("p")
	require.ErrorContains(t, err, "larger than")
	assert.ErrorContains(t, err, path)
}

func TestSpecPathThatIsADirectory(t *testing.T) {
	e := newEnv(t)
	path := filepath.Join(e.specs[0], "p.spec")
	require.NoError(t, os.MkdirAll(path, 0o755))
	_, err := e.registry().Plugin("p")
	require.ErrorContains(t, err, "not a regular file")
	assert.ErrorContains(t, err, path)
}

func TestSymlinkLoopIsAnErrorNamingThePath(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links")
	}
	e := newEnv(t)
	path := filepath.Join(e.specs[0], "p.spec")
	require.NoError(t, os.MkdirAll(e.specs[0], 0o755))
	require.NoError(t, os.Symlink(path, path))
	_, err := e.registry().Plugin("p")
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrNotFound)
	assert.ErrorContains(t, err, path)
}

func TestSymlinksAreFollowed(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links")
	}
	e := newEnv(t)
	target := filepath.Join(testkit.ShortDir(t), "real.sock")
	listenSocket(t, target)
	require.NoError(t, os.MkdirAll(e.sockets, 0o755))
	require.NoError(t, os.Symlink(target, e.socket("linked")))
	require.NoError(t, os.Symlink(filepath.Join(e.sockets, "missing"), e.socket("dangling")))

	r := e.registry()
	p, err := r.Plugin("linked")
	require.NoError(t, err)
	assert.Equal(t, "unix://"+e.socket("linked"), p.Addr)
	names, err := r.Scan()
	require.NoError(t, err)
	assert.Equal(t, []string{"linked"}, names)
}

func TestScanAndPlugins(t *testing.T) {
	e := newEnv(t)
	listenSocket(t, e.socket("sock"))
	listenSocket(t, filepath.Join(e.sockets, "subsock", "subsock.sock"))
	listenSocket(t, e.socket("both"))
	writeFile(t, filepath.Join(e.specs[0], "both.spec"), "tcp://127.0.0.1:1")
	writeFile(t, filepath.Join(e.specs[0], "spec.spec"), "tcp://127.0.0.1:2")
	writeFile(t, filepath.Join(e.specs[0], "subspec", "subspec.spec"), "tcp://127.0.0.1:3")
	writeFile(t, filepath.Join(e.specs[0], "json.json"), `{"Addr": "tcp://127.0.0.1:4"}`)
	writeFile(t, filepath.Join(e.specs[1], "subjson", "subjson.json"), `{"Addr": "tcp://127.0.0.1:5"}`)
	writeFile(t, filepath.Join(e.specs[1], "spec.json"), `{"Addr": "tcp://127.0.0.1:6"}`) // shadowed by spec.spec
	// Not plugins.
	writeFile(t, e.socket("regular"), "")
	writeFile(t, filepath.Join(e.specs[0], "readme.txt"), "")
	writeFile(t, filepath.Join(e.specs[0], "dir", "other.spec"), "tcp://127.0.0.1:7")
	require.NoError(t, os.MkdirAll(filepath.Join(e.sockets, "emptydir"), 0o755))

	r := e.registry()
	names, err := r.Scan()
	require.NoError(t, err)
	want := []string{"both", "json", "sock", "spec", "subjson", "subsock", "subspec"}
	assert.Equal(t, want, names, "each name once, sorted")

	all, err := r.Plugins()
	require.NoError(t, err)
	require.Len(t, all, len(want))
	for i, p := range all {
		assert.Equal(t, want[i], p.Name)
		byName, err := r.Plugin(p.Name)
		require.NoError(t, err)
		assert.Equal(t, byName, p, "listing resolves %s as a lookup does", p.Name)
	}
	assert.Equal(t, "unix://"+e.socket("both"), all[0].Addr)
	assert.Equal(t, "tcp://127.0.0.1:2", all[3].Addr)
}

func TestScanMissingDirectoriesAreEmpty(t *testing.T) {
	r := NewLocalRegistry(WithSocketsDir(filepath.Join(testkit.ShortDir(t), "none")), WithSpecsDirs("/nonexistent/a", "/nonexistent/b"))
	names, err := r.Scan()
	require.NoError(t, err)
	assert.Empty(t, names)
	all, err := r.Plugins()
	require.NoError(t, err)
	assert.Empty(t, all)
	_, err = r.Plugin("x")
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestScanUnreadableDirectoryIsAnError(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links")
	}
	dir := filepath.Join(testkit.ShortDir(t), "loop")
	require.NoError(t, os.Symlink(dir, dir)) // reading it fails with ELOOP, not "does not exist"
	r := NewLocalRegistry(WithSocketsDir(""), WithSpecsDirs(dir))
	_, err := r.Scan()
	require.Error(t, err)
	assert.ErrorContains(t, err, dir)
	_, err = r.Plugins()
	require.Error(t, err)
}

func TestRegistryOptions(t *testing.T) {
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

func TestSpecsPathsRootless(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("rootless mode exists on UNIX only")
	}
	t.Setenv("ROOTLESSKIT_STATE_DIR", "")
	assert.Equal(t, []string{"/etc/docker/plugins", "/usr/lib/docker/plugins"}, SpecsPaths())

	t.Setenv("ROOTLESSKIT_STATE_DIR", "/run/user/1000/dockerd-rootless")
	t.Setenv("HOME", "/home/u")
	t.Setenv("XDG_CONFIG_HOME", "/home/u/cfg")
	assert.Equal(t, []string{"/home/u/cfg/docker/plugins", "/home/u/.local/lib/docker/plugins"}, SpecsPaths())

	t.Setenv("XDG_CONFIG_HOME", "")
	assert.Equal(t, []string{"/home/u/.config/docker/plugins", "/home/u/.local/lib/docker/plugins"}, SpecsPaths())
}

func TestInvalidNames(t *testing.T) {
	e := newEnv(t)
	// A plugin outside the sockets directory that "../" would reach.
	listenSocket(t, filepath.Join(filepath.Dir(e.sockets), "outside.sock"))
	r := e.registry()

	long := make([]byte, maxNameLen+1)
	for i := range long {
		long[i] = 'a'
	}
	for _, name := range []string{
		"", ".", "..", "../outside", "a/b", `a\b`, "/abs", "a\x00b", "tab\tname", "\xff\xfe", string(long),
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
	valid := []string{"x", "a.b", "a..b", "ünïcödé", "my-plugin_2", string(long[:maxNameLen])}
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

func TestPlainNamesNeedNoFurtherCheck(t *testing.T) {
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
