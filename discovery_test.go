package plugins_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// layout is a plugin environment with a second spec directory, searched
// after its own as the engine searches /usr/lib/docker/plugins after
// /etc/docker/plugins.
type layout struct {
	*pluginstest.Env
	lib string
}

func newLayout(t *testing.T) layout {
	return layout{Env: pluginstest.New(t), lib: filepath.Join(testkit.ShortDir(t), "lib")}
}

func (l layout) registry() *plugins.LocalRegistry {
	return plugins.NewLocalRegistry(plugins.WithSocketsDir(l.SocketsDir()), plugins.WithSpecsDirs(l.SpecsDir(), l.lib),
		plugins.WithLogger(testkit.QuietLogger()))
}

func (l layout) socket(name string) string { return filepath.Join(l.SocketsDir(), name+".sock") }

func TestLookupLayouts(t *testing.T) {
	t.Parallel()
	insecure := tlsconfig.Options{InsecureSkipVerify: true}
	type want struct {
		addr   string
		tls    tlsconfig.Options
		source string
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, l layout)
		want  func(l layout) want
	}{
		{
			name:  "socket",
			setup: func(t *testing.T, l layout) { testkit.ListenUnix(t, l.socket("p")) },
			want:  func(l layout) want { return want{"unix://" + l.socket("p"), insecure, l.socket("p")} },
		},
		{
			name:  "socket in subdirectory",
			setup: func(t *testing.T, l layout) { testkit.ListenUnix(t, filepath.Join(l.SocketsDir(), "p", "p.sock")) },
			want: func(l layout) want {
				p := filepath.Join(l.SocketsDir(), "p", "p.sock")
				return want{"unix://" + p, insecure, p}
			},
		},
		{
			name:  "spec file",
			setup: func(t *testing.T, l layout) { l.WriteSpecFile("p.spec", "tcp://127.0.0.1:8080") },
			want: func(l layout) want {
				return want{"tcp://127.0.0.1:8080", insecure, filepath.Join(l.SpecsDir(), "p.spec")}
			},
		},
		{
			name:  "spec file with surrounding white space",
			setup: func(t *testing.T, l layout) { l.WriteSpecFile("p.spec", "\n\t  tcp://127.0.0.1:8080 \r\n\n") },
			want: func(l layout) want {
				return want{"tcp://127.0.0.1:8080", insecure, filepath.Join(l.SpecsDir(), "p.spec")}
			},
		},
		{
			name:  "spec file in subdirectory",
			setup: func(t *testing.T, l layout) { l.WriteSpecFile("p/p.spec", "unix:///x/p.sock") },
			want: func(l layout) want {
				return want{"unix:///x/p.sock", insecure, filepath.Join(l.SpecsDir(), "p", "p.spec")}
			},
		},
		{
			name: "json file: name from the file, TLS given without CA skips verification",
			setup: func(t *testing.T, l layout) {
				l.WriteSpecFile("p.json",
					`{"Name": "other", "Addr": "https://127.0.0.1:9443", "TLSConfig": {"CertFile": "/c.pem", "KeyFile": "/k.pem"}}`)
			},
			want: func(l layout) want {
				return want{"https://127.0.0.1:9443",
					tlsconfig.Options{CertFile: "/c.pem", KeyFile: "/k.pem", InsecureSkipVerify: true},
					filepath.Join(l.SpecsDir(), "p.json")}
			},
		},
		{
			name: "json file with CA keeps verification",
			setup: func(t *testing.T, l layout) {
				l.WriteSpecFile("p.json", `{"Addr": "https://127.0.0.1:9443", "TLSConfig": {"CAFile": "/ca.pem"}}`)
			},
			want: func(l layout) want {
				return want{"https://127.0.0.1:9443", tlsconfig.Options{CAFile: "/ca.pem"}, filepath.Join(l.SpecsDir(), "p.json")}
			},
		},
		{
			name: "json file without TLSConfig verifies with the system roots",
			setup: func(t *testing.T, l layout) {
				l.WriteSpecFile("p/p.json", `{"Addr": "https://127.0.0.1:9443", "Unknown": [1]}`)
			},
			want: func(l layout) want {
				return want{"https://127.0.0.1:9443", tlsconfig.Options{}, filepath.Join(l.SpecsDir(), "p", "p.json")}
			},
		},
		{
			name:  "second spec directory",
			setup: func(t *testing.T, l layout) { writeFile(t, filepath.Join(l.lib, "p.spec"), "tcp://127.0.0.1:2") },
			want: func(l layout) want {
				return want{"tcp://127.0.0.1:2", insecure, filepath.Join(l.lib, "p.spec")}
			},
		},
		{
			name: "socket wins over spec file",
			setup: func(t *testing.T, l layout) {
				l.WriteSpecFile("p.spec", "tcp://127.0.0.1:1")
				testkit.ListenUnix(t, filepath.Join(l.SocketsDir(), "p", "p.sock"))
			},
			want: func(l layout) want {
				p := filepath.Join(l.SocketsDir(), "p", "p.sock")
				return want{"unix://" + p, insecure, p}
			},
		},
		{
			name: "NAME.sock wins over NAME/NAME.sock",
			setup: func(t *testing.T, l layout) {
				testkit.ListenUnix(t, filepath.Join(l.SocketsDir(), "p", "p.sock"))
				testkit.ListenUnix(t, l.socket("p"))
			},
			want: func(l layout) want { return want{"unix://" + l.socket("p"), insecure, l.socket("p")} },
		},
		{
			name: "regular file named NAME.sock is not a plugin",
			setup: func(t *testing.T, l layout) {
				writeFile(t, l.socket("p"), "")
				writeFile(t, filepath.Join(l.lib, "p.spec"), "tcp://127.0.0.1:3")
			},
			want: func(l layout) want {
				return want{"tcp://127.0.0.1:3", insecure, filepath.Join(l.lib, "p.spec")}
			},
		},
		{
			name: "NAME.spec wins over NAME/NAME.spec, NAME.json and the next directory",
			setup: func(t *testing.T, l layout) {
				writeFile(t, filepath.Join(l.lib, "p.spec"), "tcp://127.0.0.1:4")
				l.WriteSpecFile("p.json", `{"Addr": "tcp://127.0.0.1:3"}`)
				l.WriteSpecFile("p/p.spec", "tcp://127.0.0.1:2")
				l.WriteSpecFile("p.spec", "tcp://127.0.0.1:1")
			},
			want: func(l layout) want {
				return want{"tcp://127.0.0.1:1", insecure, filepath.Join(l.SpecsDir(), "p.spec")}
			},
		},
		{
			name: "NAME/NAME.spec wins over NAME.json",
			setup: func(t *testing.T, l layout) {
				l.WriteSpecFile("p.json", `{"Addr": "tcp://127.0.0.1:3"}`)
				l.WriteSpecFile("p/p.spec", "tcp://127.0.0.1:2")
			},
			want: func(l layout) want {
				return want{"tcp://127.0.0.1:2", insecure, filepath.Join(l.SpecsDir(), "p", "p.spec")}
			},
		},
		{
			name: "NAME.json wins over NAME/NAME.json",
			setup: func(t *testing.T, l layout) {
				l.WriteSpecFile("p/p.json", `{"Addr": "tcp://127.0.0.1:4"}`)
				l.WriteSpecFile("p.json", `{"Addr": "tcp://127.0.0.1:3"}`)
			},
			want: func(l layout) want {
				return want{"tcp://127.0.0.1:3", tlsconfig.Options{}, filepath.Join(l.SpecsDir(), "p.json")}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLayout(t)
			tt.setup(t, l)
			w := tt.want(l)
			r := l.registry()

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
	t.Parallel()
	l := newLayout(t) // the environment's directories exist, the second spec directory does not

	_, err := l.registry().Plugin("nope")
	require.ErrorIs(t, err, plugins.ErrNotFound)
	var le *plugins.LookupError
	require.ErrorAs(t, err, &le)
	want := []string{
		filepath.Join(l.SocketsDir(), "nope.sock"), filepath.Join(l.SocketsDir(), "nope", "nope.sock"),
		filepath.Join(l.SpecsDir(), "nope.spec"), filepath.Join(l.SpecsDir(), "nope", "nope.spec"),
		filepath.Join(l.SpecsDir(), "nope.json"), filepath.Join(l.SpecsDir(), "nope", "nope.json"),
		filepath.Join(l.lib, "nope.spec"), filepath.Join(l.lib, "nope", "nope.spec"),
		filepath.Join(l.lib, "nope.json"), filepath.Join(l.lib, "nope", "nope.json"),
	}
	assert.Equal(t, want, le.Searched)
	for _, p := range want {
		assert.Contains(t, err.Error(), p)
	}
	assert.Contains(t, err.Error(), `"nope"`)

	paths, err := l.registry().SearchPaths("nope")
	require.NoError(t, err)
	assert.Equal(t, want, paths)
}

func TestSpecFileErrors(t *testing.T) {
	t.Parallel()
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
			env := pluginstest.New(t)
			path := env.WriteSpecFile(tt.file, tt.content)

			_, err := env.Registry().Plugin("p")
			require.Error(t, err)
			assert.NotErrorIs(t, err, plugins.ErrNotFound)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), path, "the error names the file")

			// Listing leaves the plugin out but still knows its name.
			all, err := env.Registry().Plugins()
			require.NoError(t, err)
			assert.Empty(t, all)
			names, err := env.Registry().Scan()
			require.NoError(t, err)
			assert.Equal(t, []string{"p"}, names)
		})
	}
}

func TestSpecFileTooLarge(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	path := env.WriteSpecFile("p.spec", "tcp://127.0.0.1:1"+strings.Repeat(" ", 64<<10+1)) // the bound: 64 KiB
	_, err := env.Registry().Plugin("p")
	require.ErrorContains(t, err, "larger than")
	assert.ErrorContains(t, err, path)
}

func TestSpecPathThatIsADirectory(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	path := filepath.Join(env.SpecsDir(), "p.spec")
	require.NoError(t, os.MkdirAll(path, 0o755))
	_, err := env.Registry().Plugin("p")
	require.ErrorContains(t, err, "not a regular file")
	assert.ErrorContains(t, err, path)
}

func TestSymlinkLoopIsAnErrorNamingThePath(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links")
	}
	env := pluginstest.New(t)
	path := filepath.Join(env.SpecsDir(), "p.spec")
	require.NoError(t, os.Symlink(path, path))
	_, err := env.Registry().Plugin("p")
	require.Error(t, err)
	assert.NotErrorIs(t, err, plugins.ErrNotFound)
	assert.ErrorContains(t, err, path)
}

func TestSymlinksAreFollowed(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links")
	}
	env := pluginstest.New(t)
	target := filepath.Join(testkit.ShortDir(t), "real.sock")
	testkit.ListenUnix(t, target)
	linked := filepath.Join(env.SocketsDir(), "linked.sock")
	require.NoError(t, os.Symlink(target, linked))
	require.NoError(t, os.Symlink(filepath.Join(env.SocketsDir(), "missing"), filepath.Join(env.SocketsDir(), "dangling.sock")))

	r := env.Registry()
	p, err := r.Plugin("linked")
	require.NoError(t, err)
	assert.Equal(t, "unix://"+linked, p.Addr)
	names, err := r.Scan()
	require.NoError(t, err)
	assert.Equal(t, []string{"linked"}, names)
}

func TestScanAndPlugins(t *testing.T) {
	t.Parallel()
	l := newLayout(t)
	testkit.ListenUnix(t, l.socket("sock"))
	testkit.ListenUnix(t, filepath.Join(l.SocketsDir(), "subsock", "subsock.sock"))
	testkit.ListenUnix(t, l.socket("both"))
	l.WriteSpecFile("both.spec", "tcp://127.0.0.1:1")
	l.WriteSpecFile("spec.spec", "tcp://127.0.0.1:2")
	l.WriteSpecFile("subspec/subspec.spec", "tcp://127.0.0.1:3")
	l.WriteSpecFile("json.json", `{"Addr": "tcp://127.0.0.1:4"}`)
	writeFile(t, filepath.Join(l.lib, "subjson", "subjson.json"), `{"Addr": "tcp://127.0.0.1:5"}`)
	writeFile(t, filepath.Join(l.lib, "spec.json"), `{"Addr": "tcp://127.0.0.1:6"}`) // shadowed by spec.spec
	// Not plugins.
	writeFile(t, l.socket("regular"), "")
	l.WriteSpecFile("readme.txt", "")
	l.WriteSpecFile("dir/other.spec", "tcp://127.0.0.1:7")
	require.NoError(t, os.MkdirAll(filepath.Join(l.SocketsDir(), "emptydir"), 0o755))

	r := l.registry()
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
	assert.Equal(t, "unix://"+l.socket("both"), all[0].Addr)
	assert.Equal(t, "tcp://127.0.0.1:2", all[3].Addr)
}

func TestScanMissingDirectoriesAreEmpty(t *testing.T) {
	t.Parallel()
	r := plugins.NewLocalRegistry(plugins.WithSocketsDir(filepath.Join(testkit.ShortDir(t), "none")), plugins.WithSpecsDirs("/nonexistent/a", "/nonexistent/b"))
	names, err := r.Scan()
	require.NoError(t, err)
	assert.Empty(t, names)
	all, err := r.Plugins()
	require.NoError(t, err)
	assert.Empty(t, all)
	_, err = r.Plugin("x")
	assert.ErrorIs(t, err, plugins.ErrNotFound)
}

func TestScanUnreadableDirectoryIsAnError(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links")
	}
	dir := filepath.Join(testkit.ShortDir(t), "loop")
	require.NoError(t, os.Symlink(dir, dir)) // reading it fails with ELOOP, not "does not exist"
	r := plugins.NewLocalRegistry(plugins.WithSocketsDir(""), plugins.WithSpecsDirs(dir))
	_, err := r.Scan()
	require.Error(t, err)
	assert.ErrorContains(t, err, dir)
	_, err = r.Plugins()
	require.Error(t, err)
}

// Not parallel: it sets environment variables.
func TestSpecsPathsRootless(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("rootless mode exists on UNIX only")
	}
	t.Setenv("ROOTLESSKIT_STATE_DIR", "")
	assert.Equal(t, []string{"/etc/docker/plugins", "/usr/lib/docker/plugins"}, plugins.SpecsPaths())

	t.Setenv("ROOTLESSKIT_STATE_DIR", "/run/user/1000/dockerd-rootless")
	t.Setenv("HOME", "/home/u")
	t.Setenv("XDG_CONFIG_HOME", "/home/u/cfg")
	assert.Equal(t, []string{"/home/u/cfg/docker/plugins", "/home/u/.local/lib/docker/plugins"}, plugins.SpecsPaths())

	t.Setenv("XDG_CONFIG_HOME", "")
	assert.Equal(t, []string{"/home/u/.config/docker/plugins", "/home/u/.local/lib/docker/plugins"}, plugins.SpecsPaths())
}
