package authorization

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
)

// Request is what the engine tells the plugin about an API request and, for
// AuthZRes, its response. Every key is left out when empty, as the engine's
// struct does; the JSON keys are the engine's (note RequestUri).
type Request struct {
	// User is the common name of the API client's first TLS certificate.
	User string `json:"User,omitempty"`
	// UserAuthNMethod is how User was found: "TLS" whenever the API client
	// presented a certificate, even one without a common name.
	UserAuthNMethod string `json:"UserAuthNMethod,omitempty"`
	// RequestMethod is the HTTP method of the API request.
	RequestMethod string `json:"RequestMethod,omitempty"`
	// RequestURI is the API request's URI, query included, e.g.
	// "/v1.51/containers/json?all=1"; its key is spelled RequestUri.
	RequestURI string `json:"RequestUri,omitempty"`
	// RequestBody is the API request's body, sent as base64: the engine
	// includes it only for application/json bodies under 1 MiB, outside the
	// /auth endpoint.
	RequestBody []byte `json:"RequestBody,omitempty"`
	// RequestHeaders are the API request's headers, one value each (the
	// last one of a repeated header); the engine leaves out Authorization,
	// X-Registry-Auth and X-Registry-Config.
	RequestHeaders map[string]string `json:"RequestHeaders,omitempty"`
	// RequestPeerCertificates are the API client's TLS certificates.
	RequestPeerCertificates []*PeerCertificate `json:"RequestPeerCertificates,omitempty"`
	// ResponseStatusCode is the API response's status (AuthZRes only),
	// zero when the handler never set one.
	ResponseStatusCode int `json:"ResponseStatusCode,omitempty"`
	// ResponseBody is the API response's body, as the engine buffered it
	// (AuthZRes only, JSON responses only): for a response over 64 KiB, only
	// its tail.
	ResponseBody []byte `json:"ResponseBody,omitempty"`
	// ResponseHeaders are the API response's headers (AuthZRes only),
	// flattened as RequestHeaders.
	ResponseHeaders map[string]string `json:"ResponseHeaders,omitempty"`
}

// Response is a plugin's decision.
type Response struct {
	// Allow lets the request or response through; false (or absent) is a
	// denial.
	Allow bool `json:"Allow"`
	// Msg is the reason of a denial, shown to the API client.
	Msg string `json:"Msg,omitempty"`
	// Err is a message the plugin may add; the engine ignores it in a 200
	// answer. (The plugin SDK never sends it in a 200 answer: it answers
	// 500 whenever Err is set, which the engine reports as a failure.)
	Err string `json:"Err,omitempty"`
}

// PeerCertificate is an API client's TLS certificate. It is an
// x509.Certificate (convert a *x509.Certificate with
// (*PeerCertificate)(cert)), whose JSON is its PEM text as a JSON byte
// string: base64 of the PEM text, as the engine sends it.
type PeerCertificate x509.Certificate

// MarshalJSON returns the certificate's PEM text as a JSON byte string.
func (pc *PeerCertificate) MarshalJSON() ([]byte, error) {
	return json.Marshal(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pc.Raw}))
}

// UnmarshalJSON reads the certificate from a JSON byte string of PEM text.
// Unlike the engine's, which panics, it returns an error for text that
// holds no PEM block.
func (pc *PeerCertificate) UnmarshalJSON(b []byte) error {
	var text []byte
	if err := json.Unmarshal(b, &text); err != nil {
		return err
	}
	block, _ := pem.Decode(text)
	if block == nil {
		return errors.New("peer certificate: no PEM data")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return fmt.Errorf("peer certificate: %w", err)
	}
	*pc = PeerCertificate(*c)
	return nil
}
