package engine_test

import (
	"errors"
	"path/filepath"
	"testing"

	engine "github.com/docker/docker/pkg/plugins"
	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var insecure = tlsconfig.Options{InsecureSkipVerify: true}

// Both registries resolve the plugin "p" of each layout to the same address
// and TLS settings, or both fail the same way.
func TestDiscoveryAgrees(t *testing.T) {
	const tcp = "tcp://192.0.2.10:8080"
	type dirs = plugintest.Dirs
	tests := []struct {
		name   string
		layout layout
		// addr is the address both must resolve to; nil when both must fail.
		addr func(d dirs) string
		tls  tlsconfig.Options
		// unusable, when both fail, is text both errors contain ("*": any),
		// for a plugin found but not usable; empty means "not found".
		unusable string
	}{
		{
			name:   "socket",
			layout: func(t *testing.T, d dirs) { socket(t, d.Socket("p")) },
			addr:   func(d dirs) string { return "unix://" + d.Socket("p") }, tls: insecure,
		},
		{
			name:   "socket in a subdirectory",
			layout: func(t *testing.T, d dirs) { socket(t, filepath.Join(d.Sockets, "p", "p.sock")) },
			addr:   func(d dirs) string { return "unix://" + filepath.Join(d.Sockets, "p", "p.sock") }, tls: insecure,
		},
		{
			name: "socket before socket in a subdirectory",
			layout: func(t *testing.T, d dirs) {
				socket(t, filepath.Join(d.Sockets, "p", "p.sock"))
				socket(t, d.Socket("p"))
			},
			addr: func(d dirs) string { return "unix://" + d.Socket("p") }, tls: insecure,
		},
		{
			name: "symbolic link to a socket",
			layout: func(t *testing.T, d dirs) {
				socket(t, filepath.Join(d.Specs[1], "real.sock"))
				symlink(t, filepath.Join(d.Specs[1], "real.sock"), d.Socket("p"))
			},
			addr: func(d dirs) string { return "unix://" + d.Socket("p") }, tls: insecure,
		},
		{
			name: "regular file named like a socket is not a plugin",
			layout: func(t *testing.T, d dirs) {
				file(t, d.Socket("p"), "")
				file(t, filepath.Join(d.Specs[0], "p.spec"), tcp)
			},
			addr: func(dirs) string { return tcp }, tls: insecure,
		},
		{
			name: "socket before spec file",
			layout: func(t *testing.T, d dirs) {
				file(t, filepath.Join(d.Specs[0], "p.spec"), tcp)
				socket(t, d.Socket("p"))
			},
			addr: func(d dirs) string { return "unix://" + d.Socket("p") }, tls: insecure,
		},
		{
			name:   ".spec",
			layout: func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[0], "p.spec"), tcp) },
			addr:   func(dirs) string { return tcp }, tls: insecure,
		},
		{
			name:   ".spec with surrounding white space",
			layout: func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[0], "p.spec"), "\n\t "+tcp+" \r\n\n") },
			addr:   func(dirs) string { return tcp }, tls: insecure,
		},
		{
			name:   ".spec with a unix address",
			layout: func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[0], "p.spec"), "unix:///var/run/p/p.sock") },
			addr:   func(dirs) string { return "unix:///var/run/p/p.sock" }, tls: insecure,
		},
		{
			name:   ".spec with an http address",
			layout: func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[0], "p.spec"), "http://localhost:9000") },
			addr:   func(dirs) string { return "http://localhost:9000" }, tls: insecure,
		},
		{
			name:   ".spec with an upper-case scheme",
			layout: func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[0], "p.spec"), "TCP://192.0.2.10:8080") },
			addr:   func(dirs) string { return "TCP://192.0.2.10:8080" }, tls: insecure,
		},
		{
			name: ".json with a mixed-case scheme",
			layout: func(t *testing.T, d dirs) {
				file(t, filepath.Join(d.Specs[0], "p.json"), `{"Addr": "Unix:///run/p.sock"}`)
			},
			addr: func(dirs) string { return "Unix:///run/p.sock" },
		},
		{
			name:   ".spec with a named pipe",
			layout: func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[0], "p.spec"), "npipe:////./pipe/p") },
			addr:   func(dirs) string { return "npipe:////./pipe/p" }, tls: insecure,
		},
		{
			name:   ".spec in a subdirectory",
			layout: func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[0], "p", "p.spec"), tcp) },
			addr:   func(dirs) string { return tcp }, tls: insecure,
		},
		{
			name: ".spec before .spec in a subdirectory",
			layout: func(t *testing.T, d dirs) {
				file(t, filepath.Join(d.Specs[0], "p", "p.spec"), "tcp://192.0.2.99:1")
				file(t, filepath.Join(d.Specs[0], "p.spec"), tcp)
			},
			addr: func(dirs) string { return tcp }, tls: insecure,
		},
		{
			name: ".spec in a subdirectory before .json",
			layout: func(t *testing.T, d dirs) {
				file(t, filepath.Join(d.Specs[0], "p.json"), `{"Addr": "tcp://192.0.2.99:1"}`)
				file(t, filepath.Join(d.Specs[0], "p", "p.spec"), tcp)
			},
			addr: func(dirs) string { return tcp }, tls: insecure,
		},
		{
			name: "first spec directory first, whatever the file type",
			layout: func(t *testing.T, d dirs) {
				file(t, filepath.Join(d.Specs[1], "p.spec"), "tcp://192.0.2.99:1")
				file(t, filepath.Join(d.Specs[0], "p", "p.json"), `{"Addr": "`+tcp+`"}`)
			},
			addr: func(dirs) string { return tcp },
		},
		{
			name: "same name in both spec directories",
			layout: func(t *testing.T, d dirs) {
				file(t, filepath.Join(d.Specs[1], "p.spec"), "tcp://192.0.2.99:1")
				file(t, filepath.Join(d.Specs[0], "p.spec"), tcp)
			},
			addr: func(dirs) string { return tcp }, tls: insecure,
		},
		{
			name:   "second spec directory",
			layout: func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[1], "p", "p.json"), `{"Addr": "`+tcp+`"}`) },
			addr:   func(dirs) string { return tcp },
		},
		{
			name: "dangling symbolic link is skipped",
			layout: func(t *testing.T, d dirs) {
				symlink(t, filepath.Join(d.Specs[0], "gone"), filepath.Join(d.Specs[0], "p.spec"))
				file(t, filepath.Join(d.Specs[1], "p.spec"), tcp)
			},
			addr: func(dirs) string { return tcp }, tls: insecure,
		},
		{
			name: ".json with a CA: verified",
			layout: func(t *testing.T, d dirs) {
				file(t, filepath.Join(d.Specs[0], "p.json"), `{"Addr": "https://192.0.2.10:2376",
					"TLSConfig": {"CAFile": "/c/ca.pem", "CertFile": "/c/cert.pem", "KeyFile": "/c/key.pem"}}`)
			},
			addr: func(dirs) string { return "https://192.0.2.10:2376" },
			tls:  tlsconfig.Options{CAFile: "/c/ca.pem", CertFile: "/c/cert.pem", KeyFile: "/c/key.pem"},
		},
		{
			name: ".json without a CA: verification forced off",
			layout: func(t *testing.T, d dirs) {
				file(t, filepath.Join(d.Specs[0], "p.json"), `{"Addr": "https://192.0.2.10:2376",
					"TLSConfig": {"InsecureSkipVerify": false, "CertFile": "/c/cert.pem", "KeyFile": "/c/key.pem"}}`)
			},
			addr: func(dirs) string { return "https://192.0.2.10:2376" },
			tls:  tlsconfig.Options{InsecureSkipVerify: true, CertFile: "/c/cert.pem", KeyFile: "/c/key.pem"},
		},
		{
			// The engine leaves TLSConfig nil, ours is the zero value: the same.
			name: ".json without TLSConfig",
			layout: func(t *testing.T, d dirs) {
				file(t, filepath.Join(d.Specs[0], "p.json"), `{"Addr": "https://192.0.2.10:2376"}`)
			},
			addr: func(dirs) string { return "https://192.0.2.10:2376" },
		},
		{
			name: ".json: the name comes from the file, not the Name field",
			layout: func(t *testing.T, d dirs) {
				file(t, filepath.Join(d.Specs[0], "p.json"), `{"Name": "other", "Addr": "`+tcp+`", "Extra": 1} trailing`)
			},
			addr: func(dirs) string { return tcp },
		},
		{
			name:   "nothing",
			layout: func(t *testing.T, d dirs) {},
		},
		{
			name: "only other plugins",
			layout: func(t *testing.T, d dirs) {
				socket(t, d.Socket("pp"))
				socket(t, filepath.Join(d.Sockets, "q", "p.sock"))
				file(t, filepath.Join(d.Specs[0], "q", "p.spec"), tcp)
				file(t, filepath.Join(d.Specs[0], "p.txt"), tcp)
				file(t, filepath.Join(d.Specs[1], "P.spec"), tcp)
			},
		},
		{
			name:     ".spec with a path and no scheme",
			layout:   func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[0], "p.spec"), "/run/p.sock") },
			unusable: "Unknown protocol",
		},
		{
			// The engine's error is url.Parse's, ours "Unknown protocol".
			name:     ".spec with an IP address and port, no scheme",
			layout:   func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[0], "p.spec"), "192.0.2.10:8080") },
			unusable: "*",
		},
		{
			name:     "empty .spec",
			layout:   func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[0], "p.spec"), " \n") },
			unusable: "Unknown protocol",
		},
		{
			name:     "malformed .json",
			layout:   func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[0], "p.json"), `{"Addr": "tcp://`) },
			unusable: "unexpected EOF",
		},
		{
			// A broken spec file stops the lookup: the next directory is not tried.
			name: "directory named like a spec file",
			layout: func(t *testing.T, d dirs) {
				mkdir(t, filepath.Join(d.Specs[0], "p.spec"))
				file(t, filepath.Join(d.Specs[1], "p.spec"), tcp)
			},
			unusable: "*",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := plugintest.NewDirs(t)
			tt.layout(t, d)
			eng, ours := resolveEngine(t, d, "p"), resolveOurs(t, d, "p")

			switch {
			case tt.addr != nil:
				require.NoError(t, eng.err, "engine")
				require.NoError(t, ours.err, "ours")
				assert.Equal(t, tt.addr(d), eng.addr, "engine")
				assert.Equal(t, tt.addr(d), ours.addr, "ours")
				assert.Equal(t, tt.tls, eng.tls, "engine")
				assert.Equal(t, tt.tls, ours.tls, "ours")
			case tt.unusable == "":
				assert.ErrorIs(t, eng.err, engine.ErrNotFound, "engine")
				assert.ErrorIs(t, ours.err, plugins.ErrNotFound, "ours")
			default:
				require.Error(t, eng.err, "engine")
				require.Error(t, ours.err, "ours")
				assert.False(t, errors.Is(eng.err, engine.ErrNotFound), "engine: %v", eng.err)
				assert.False(t, errors.Is(ours.err, plugins.ErrNotFound), "ours: %v", ours.err)
				if tt.unusable != "*" {
					assert.Contains(t, eng.err.Error(), tt.unusable, "engine")
					assert.Contains(t, ours.err.Error(), tt.unusable, "ours")
				}
			}
		})
	}
}

// Names that are unusual but valid are found the same way by both.
func TestDiscoveryAgreesOnNames(t *testing.T) {
	for _, name := range []string{"my plugin", "plugin.v2", "plügin", "UPPER", "-dash", "a:b", "x.sock", "@scope~1"} {
		t.Run(name, func(t *testing.T) {
			d := plugintest.NewDirs(t)
			socket(t, filepath.Join(d.Sockets, name, name+".sock"))
			file(t, filepath.Join(d.Specs[0], name+".spec"), "tcp://192.0.2.10:80")
			eng, ours := resolveEngine(t, d, name), resolveOurs(t, d, name)
			require.NoError(t, eng.err)
			require.NoError(t, ours.err)
			assert.Equal(t, "unix://"+filepath.Join(d.Sockets, name, name+".sock"), eng.addr)
			assert.Equal(t, eng.addr, ours.addr)

			engNames, err := engineRegistry(t, d).Scan()
			require.NoError(t, err)
			ourNames, err := d.Registry().Scan()
			require.NoError(t, err)
			assert.Equal(t, []string{name, name}, engNames, "the engine lists the socket and the spec file")
			assert.Equal(t, []string{name}, ourNames)
		})
	}
}
