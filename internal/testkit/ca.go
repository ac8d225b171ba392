package testkit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// CA is a throwaway certificate authority: its certificate is written to a
// PEM file that clients are told to trust, and it signs certificates for
// servers and clients. Failures are reported through the TB given to
// NewCA.
type CA struct {
	t    TB
	dir  string
	file string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool

	server tls.Certificate

	clientOnce            sync.Once
	clientCert, clientKey string
}

// NewCA makes a certificate authority whose certificate is dir/ca.pem
// (dir is created if needed), and a server certificate for 127.0.0.1, ::1
// and localhost that it signed (see ServerConfig).
func NewCA(t TB, dir string) *CA {
	t.Helper()
	key := newKey(t)
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: "test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("testkit: CA certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testkit: CA certificate: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("testkit: %v", err)
	}
	ca := &CA{t: t, dir: dir, file: filepath.Join(dir, "ca.pem"), cert: cert, key: key, pool: x509.NewCertPool()}
	ca.pool.AddCert(cert)
	ca.writePEM(ca.file, "CERTIFICATE", der, 0o644)
	ca.server = ca.sign(certTemplate("127.0.0.1", now.Add(-time.Hour), now.Add(24*time.Hour),
		x509.ExtKeyUsageServerAuth, net.IPv4(127, 0, 0, 1), net.IPv6loopback, "localhost"))
	return ca
}

// File returns the path of the PEM file of the CA's certificate, as a
// spec file's TLSConfig.CAFile names it.
func (ca *CA) File() string { return ca.file }

// Pool returns a pool holding the CA's certificate, for a server that
// verifies client certificates or a client configured in memory.
func (ca *CA) Pool() *x509.CertPool { return ca.pool }

// ServerConfig returns a new TLS configuration for a server with the CA's
// certificate for 127.0.0.1, ::1 and localhost.
func (ca *CA) ServerConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{ca.server}, MinVersion: tls.VersionTLS12}
}

// MutualConfig returns ServerConfig that also requires a client
// certificate signed by the CA (see ClientFiles).
func (ca *CA) MutualConfig() *tls.Config {
	cfg := ca.ServerConfig()
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.ClientCAs = ca.pool
	return cfg
}

// ClientFiles returns the PEM files of a client certificate signed by the
// CA and of its key, in the CA's directory; they are written on the first
// call.
func (ca *CA) ClientFiles() (certFile, keyFile string) {
	ca.t.Helper()
	ca.clientOnce.Do(func() {
		now := time.Now()
		c := ca.sign(certTemplate("client", now.Add(-time.Hour), now.Add(24*time.Hour), x509.ExtKeyUsageClientAuth, "client"))
		keyDER, err := x509.MarshalECPrivateKey(c.PrivateKey.(*ecdsa.PrivateKey))
		if err != nil {
			ca.t.Fatalf("testkit: client key: %v", err)
		}
		ca.clientCert, ca.clientKey = filepath.Join(ca.dir, "client-cert.pem"), filepath.Join(ca.dir, "client-key.pem")
		ca.writePEM(ca.clientCert, "CERTIFICATE", c.Certificate[0], 0o644)
		ca.writePEM(ca.clientKey, "EC PRIVATE KEY", keyDER, 0o600)
	})
	return ca.clientCert, ca.clientKey
}

// Issue returns a server certificate signed by the CA for host only, an IP
// address or a DNS name: for a server that clients must find misnamed.
func (ca *CA) Issue(host string) tls.Certificate {
	ca.t.Helper()
	now := time.Now()
	var name any = host
	if ip := net.ParseIP(host); ip != nil {
		name = ip
	}
	return ca.sign(certTemplate(host, now.Add(-time.Hour), now.Add(24*time.Hour), x509.ExtKeyUsageServerAuth, name))
}

// Expired returns a server certificate for 127.0.0.1 signed by the CA that
// expired an hour ago.
func (ca *CA) Expired() tls.Certificate {
	ca.t.Helper()
	now := time.Now()
	return ca.sign(certTemplate("127.0.0.1", now.Add(-2*time.Hour), now.Add(-time.Hour),
		x509.ExtKeyUsageServerAuth, net.IPv4(127, 0, 0, 1)))
}

// certTemplate describes a leaf certificate for names, each a net.IP or a
// DNS name.
func certTemplate(cn string, notBefore, notAfter time.Time, usage x509.ExtKeyUsage, names ...any) *x509.Certificate {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	for _, n := range names {
		switch n := n.(type) {
		case net.IP:
			tmpl.IPAddresses = append(tmpl.IPAddresses, n)
		case string:
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	return tmpl
}

// sign issues tmpl, with a fresh key and serial number.
func (ca *CA) sign(tmpl *x509.Certificate) tls.Certificate {
	ca.t.Helper()
	key := newKey(ca.t)
	tmpl.SerialNumber = serial(ca.t)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		ca.t.Fatalf("testkit: certificate for %s: %v", tmpl.Subject.CommonName, err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func (ca *CA) writePEM(path, typ string, der []byte, perm os.FileMode) {
	ca.t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), perm); err != nil {
		ca.t.Fatalf("testkit: %v", err)
	}
}

func newKey(t TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("testkit: key: %v", err)
	}
	return key
}

// serial returns a random serial number: certificates of one CA must not
// share one.
func serial(t TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatalf("testkit: serial: %v", err)
	}
	return n
}
