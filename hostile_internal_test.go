//go:build unix

package plugins

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Spec files that are odd but usable: unknown fields are ignored (as by the
// engine, so that files written for newer engines still work), and the
// scheme is case-insensitive as the engine's URL parsing makes it.
func TestHostileSpecFilesThatAreAccepted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, content, wantAddr string
	}{
		{"unknown fields", "p.json", `{"Addr": "tcp://127.0.0.1:1", "Future": {"x": [1]}, "TLSConfig": {"Extra": true}}`, "tcp://127.0.0.1:1"},
		{"name field ignored", "p.json", `{"Name": "../../other", "Addr": "tcp://127.0.0.1:1"}`, "tcp://127.0.0.1:1"},
		{"upper-case scheme", "p.spec", "UNIX:///run/p.sock", "UNIX:///run/p.sock"},
		{"mixed-case scheme", "p.spec", "Tcp://127.0.0.1:1", "Tcp://127.0.0.1:1"},
		{"upper-case https", "p.json", `{"Addr": "HTTPS://127.0.0.1:1", "TLSConfig": {}}`, "HTTPS://127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			require.NoError(t, os.MkdirAll(e.specs, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(e.specs, tt.file), []byte(tt.content), 0o644))
			p, err := e.registry().Plugin("p")
			require.NoError(t, err)
			assert.Equal(t, "p", p.Name)
			assert.Equal(t, tt.wantAddr, p.Addr)
			_, err = NewClient(p.Addr, p.TLSConfig)
			assert.NoError(t, err)
			ep, err := parseAddr(p.Addr)
			require.NoError(t, err)
			assert.Equal(t, strings.HasPrefix(tt.wantAddr, "HTTPS"), ep.scheme == "https", "TLS is used for https only")
		})
	}
}
