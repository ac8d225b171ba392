package pluginstest

import (
	"crypto/tls"
	"crypto/x509"

	"github.com/go-dockerplugins/plugins/internal/testkit"
)

// CA is a throwaway certificate authority, to test plugins served over
// TLS: its certificate is a PEM file that spec files and clients name as
// their CAFile, and it signs certificates for servers and clients,
// including broken ones (expired, for another host) to test that clients
// refuse them. An Env has one (Env.CA), which signs the plugins of
// ServeJSON.
type CA struct{ ca *testkit.CA }

// NewCA makes a certificate authority whose certificate is written to
// dir/ca.pem (dir is created if needed). Failures are reported through t.
func NewCA(t TB, dir string) *CA {
	t.Helper()
	return &CA{testkit.NewCA(t, dir)}
}

// File returns the PEM file of the CA's certificate: a spec file's
// TLSConfig.CAFile, or tlsconfig.Options.CAFile for a client.
func (c *CA) File() string { return c.ca.File() }

// Pool returns a pool holding the CA's certificate.
func (c *CA) Pool() *x509.CertPool { return c.ca.Pool() }

// ServerConfig returns a new TLS configuration for a server, with a
// certificate signed by the CA for 127.0.0.1, ::1 and localhost.
func (c *CA) ServerConfig() *tls.Config { return c.ca.ServerConfig() }

// MutualConfig returns ServerConfig that also requires a client
// certificate signed by the CA, such as that of ClientFiles.
func (c *CA) MutualConfig() *tls.Config { return c.ca.MutualConfig() }

// ClientFiles returns the PEM files of a client certificate signed by the
// CA and of its key (tlsconfig.Options.CertFile and KeyFile), written in
// the CA's directory on the first call.
func (c *CA) ClientFiles() (certFile, keyFile string) { return c.ca.ClientFiles() }

// Issue returns a server certificate signed by the CA for host only (an IP
// address or a DNS name): a server with it is misnamed for any other host.
func (c *CA) Issue(host string) tls.Certificate { return c.ca.Issue(host) }

// Expired returns a server certificate for 127.0.0.1 signed by the CA that
// expired an hour ago.
func (c *CA) Expired() tls.Certificate { return c.ca.Expired() }
