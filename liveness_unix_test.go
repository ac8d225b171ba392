//go:build unix

package plugins

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connPair returns both ends of a UNIX socket connection.
func connPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("unix", filepath.Join(testkit.ShortDir(t), "s.sock"))
	require.NoError(t, err)
	defer l.Close()
	client, err = net.Dial("unix", l.Addr().String())
	require.NoError(t, err)
	server, err = l.Accept()
	require.NoError(t, err)
	t.Cleanup(func() {
		client.Close()
		server.Close()
	})
	return client, server
}

func TestLiveness(t *testing.T) {
	t.Parallel()
	t.Run("an idle connection is alive", func(t *testing.T) {
		client, _ := connPair(t)
		probe := newLiveness(client)
		require.NotNil(t, probe)
		assert.True(t, probe.alive())
		assert.True(t, probe.alive(), "checking takes nothing from the connection")
	})
	t.Run("closed by the server", func(t *testing.T) {
		client, server := connPair(t)
		probe := newLiveness(client)
		require.NoError(t, server.Close())
		require.Eventually(t, func() bool { return !probe.alive() }, 5*time.Second, 5*time.Millisecond, "a closed connection is not alive")
	})
	t.Run("something unexpected was received", func(t *testing.T) {
		client, server := connPair(t)
		probe := newLiveness(client)
		_, err := server.Write([]byte("HTTP/1.1 408 Request Timeout\r\n\r\n"))
		require.NoError(t, err)
		require.Eventually(t, func() bool { return !probe.alive() }, 5*time.Second, 5*time.Millisecond, "a connection out of step is not reused")
	})
	t.Run("closed by the client", func(t *testing.T) {
		client, _ := connPair(t)
		probe := newLiveness(client)
		require.NoError(t, client.Close())
		assert.False(t, probe.alive())
	})
	assert.Nil(t, newLiveness(nil), "a connection without a socket is not checked")
}
