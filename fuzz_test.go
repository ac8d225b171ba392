package plugins

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docker/go-connections/tlsconfig"
)

// Fuzz targets. Their seed corpora are in testdata/fuzz/<FuzzName>; run one
// with, e.g., go test -run '^$' -fuzz '^FuzzSpec$' -fuzztime 60s -fuzzminimizetime 5s -parallel 1
// (a short minimization time keeps large inputs from stalling the run).

// FuzzSpec feeds arbitrary spec file contents to both parsers: they never
// panic, and whatever they accept is an address a client can be made for.
func FuzzSpec(f *testing.F) {
	for _, s := range []string{
		"unix:///run/docker/plugins/p.sock", "tcp://127.0.0.1:8080\n", "http://[::1]:80",
		"https://example.com:443", "npipe:////./pipe/p", "localhost:8080", "ftp://h:21",
		"unix://relative", "tcp://h", "", "\x00\xff",
		`{"Addr": "https://127.0.0.1:1", "TLSConfig": {"CAFile": "/ca.pem"}}`,
		`{"Name": "x", "Addr": "unix:///p.sock", "TLSConfig": {}}`, `{"Addr": 1}`, `null`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		if p, err := parseURLSpec("p", "p.spec", content); err == nil {
			checkSpec(t, p)
			if p.Addr != strings.TrimSpace(string(content)) {
				t.Fatalf("address %q is not the trimmed file %q", p.Addr, content)
			}
			if !p.TLSConfig.InsecureSkipVerify {
				t.Fatal("a .spec plugin must not verify TLS")
			}
		}
		if p, err := parseJSONSpec("p", "p.json", content); err == nil {
			checkSpec(t, p)
			// As in the engine: a TLSConfig without a CA file does not verify.
			var raw struct{ TLSConfig *tlsconfig.Options }
			if json.Unmarshal(content, &raw) == nil && raw.TLSConfig != nil &&
				p.TLSConfig.CAFile == "" && !p.TLSConfig.InsecureSkipVerify {
				t.Fatalf("%q: TLS without a CA file verifies", content)
			}
		}
		// parseAddr alone, on the raw content.
		if ep, err := parseAddr(string(content)); err == nil {
			checkEndpoint(t, string(content), ep)
		}
	})
}

func checkSpec(t *testing.T, p *Plugin) {
	t.Helper()
	if p.Name != "p" {
		t.Fatalf("name %q does not come from the file name", p.Name)
	}
	ep, err := parseAddr(p.Addr)
	if err != nil {
		t.Fatalf("accepted address %q does not parse again: %v", p.Addr, err)
	}
	checkEndpoint(t, p.Addr, ep)
	// Without the TLS files the spec names: the fuzzer must not read arbitrary paths.
	if _, err := newClient(p.Addr, tlsconfig.Options{InsecureSkipVerify: true}, p.Name, newConfig[Option](nil)); err != nil {
		t.Fatalf("no client for accepted address %q: %v", p.Addr, err)
	}
}

// checkEndpoint holds an accepted address to the promises parseAddr makes.
func checkEndpoint(t *testing.T, addr string, ep endpoint) {
	t.Helper()
	if !utf8.ValidString(addr) || strings.IndexFunc(addr, isControl) >= 0 {
		t.Fatalf("accepted %q with control characters or invalid UTF-8", addr)
	}
	switch ep.network {
	case "unix":
		if !strings.HasPrefix(ep.address, "/") || len(ep.address) > maxUnixPath || ep.host != dummyHost {
			t.Fatalf("%q: bad UNIX endpoint %+v", addr, ep)
		}
	case "npipe":
		if ep.address == "" || ep.host != dummyHost {
			t.Fatalf("%q: bad pipe endpoint %+v", addr, ep)
		}
	case "tcp":
		if ep.host != ep.address || (ep.scheme != "http" && ep.scheme != "https") {
			t.Fatalf("%q: bad TCP endpoint %+v", addr, ep)
		}
	default:
		t.Fatalf("%q: unknown network %q", addr, ep.network)
	}
}

// FuzzValidateName checks that a name validateName accepts, joined to a
// plugin directory as discovery joins it, never leaves that directory.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{
		"x", "my-plugin_2", "a.b", "a..b", "...", "..", ".", "../x", "a/b", `a\b`, "/abs",
		"a\x00b", "ünïcödé", "\xff", "C:x", "x.sock", " ", "-", strings.Repeat("a", 251),
	} {
		f.Add(s)
	}
	const base = "/plugins/base" // joined, never accessed
	f.Fuzz(func(t *testing.T, name string) {
		err := validateName(name)
		if err != nil {
			if !errors.Is(err, ErrInvalidName) || !errors.Is(err, ErrNotFound) {
				t.Fatalf("%q: refused with %v, which is not ErrInvalidName", name, err)
			}
			return
		}
		if name == "" || name == "." || name == ".." || len(name) > maxNameLen || !utf8.ValidString(name) ||
			strings.ContainsAny(name, "/\\\x00") || strings.IndexFunc(name, isControl) >= 0 {
			t.Fatalf("accepted invalid name %q", name)
		}
		r := NewLocalRegistry(WithSocketsDir(base), WithSpecsDirs(base))
		paths, err := r.SearchPaths(name)
		if err != nil {
			t.Fatalf("%q: valid but SearchPaths fails: %v", name, err)
		}
		for _, p := range paths {
			rel, err := filepath.Rel(base, p)
			if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
				t.Fatalf("%q: path %q escapes %s", name, p, base)
			}
			// Either base/NAME.ext or base/NAME/NAME.ext, nothing else.
			if dir := filepath.Dir(rel); dir != "." && dir != name {
				t.Fatalf("%q: path %q is not in %s or %s/%s", name, p, base, base, name)
			}
		}
	})
}

// FuzzStatusError decodes error answers built from arbitrary bytes, as a
// plugin would send them: never a panic, the status kept, the message
// bounded and, for a JSON body with an Err field, that field.
func FuzzStatusError(f *testing.F) {
	for _, s := range []struct {
		status int
		body   string
	}{
		{500, `{"Err": "volume in use"}`},
		{404, "404 page not found\n"},
		{400, `{"Err": ""}`},
		{500, `{"Err": 5}`},
		{500, `{"Err": "\u00e9\ud800"}`},
		{307, ""},
		{502, `{"Err": "a"} trailing`},
		{500, "\xff\xfe binary"},
		{500, `{"Trace": [1, -2.5e+3, true, null, {"Err": "nested"}], "eRr": "outer", "Err": null}`},
		{409, `{"\u0045rr": "esc\"aped\n", "ERR": "last"} ` + "\n\t"},
		{500, `{"Err": "x", "Err": 0}`},
		{500, `[[[[{"Err": "deep"}]]]]`},
		{500, `{"Err": "x",}`},
		{500, `-0.0e-0`},
	} {
		f.Add(s.status, []byte("Content-Type: application/json\r\n"), []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, header, body []byte) {
		if status < 100 || status > 999 || status == http.StatusOK {
			return
		}
		var buf bytes.Buffer
		buf.WriteString("HTTP/1.1 " + strconv.Itoa(status) + " X\r\n")
		buf.Write(header)
		buf.WriteString("\r\n")
		buf.Write(body)
		raw := buf.Bytes()
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
		if err != nil {
			return // not HTTP: the transport refuses it before any decoding
		}
		err = readStatusError(resp, "X.Y")
		var se *StatusError
		if !errors.As(err, &se) {
			t.Fatalf("not a *StatusError: %v", err)
		}
		if se.StatusCode != resp.StatusCode || se.Method != "X.Y" {
			t.Fatalf("status %d, method %q: want %d, X.Y", se.StatusCode, se.Method, resp.StatusCode)
		}
		if len(se.Message) > maxErrorMessage+utf8.UTFMax {
			t.Fatalf("message of %d bytes, over the %d-byte bound", len(se.Message), maxErrorMessage)
		}
		if !strings.HasPrefix(se.Error(), "X.Y: ") {
			t.Fatalf("text %q does not start with the method", se.Error())
		}
		// The message is the Err field of a JSON body, as json.Unmarshal
		// finds it, or else the body, each cut at the bound.
		again, _ := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
		b, err := io.ReadAll(io.LimitReader(again.Body, maxErrorScan))
		if err != nil {
			return // a broken body: the message says why
		}
		var remote struct{ Err string }
		switch {
		case json.Unmarshal(b, &remote) == nil && remote.Err != "" && len(remote.Err) <= maxErrorMessage:
			if se.Message != remote.Err {
				t.Fatalf("message %q, want the Err field %q", se.Message, remote.Err)
			}
		case remote.Err != "" && len(remote.Err) > maxErrorMessage:
			if !strings.HasPrefix(remote.Err, strings.TrimSuffix(se.Message, "\uFFFD")) {
				t.Fatalf("message %.40q..., want a prefix of the Err field %.40q...", se.Message, remote.Err)
			}
		case se.Message != string(b[:min(len(b), maxErrorMessage)]):
			t.Fatalf("message %q, want the body %q", se.Message, b)
		}
	})
}
