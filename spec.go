package plugins

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/docker/go-connections/tlsconfig"
)

// maxSpecSize bounds what is read of a spec file: a .spec holds one URL and
// a .json a handful of fields, so anything larger is not a spec file.
const maxSpecSize = 64 << 10

// readSpec reads the .spec or .json file at path, which describes the plugin
// called name. The error names the file.
func readSpec(name, path string) (*Plugin, error) {
	p, err := parseSpecFile(name, path)
	if err != nil {
		return nil, fmt.Errorf("spec file %s: %w", path, err)
	}
	return p, nil
}

func parseSpecFile(name, path string) (*Plugin, error) {
	// Check the type before opening: opening a FIFO blocks until something
	// writes to it, and a device may never end.
	if err := checkRegular(os.Stat(path)); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openSpecFlags, 0)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	if err := checkRegular(f.Stat()); err != nil { // replaced since the check above
		return nil, err
	}
	content, err := io.ReadAll(io.LimitReader(f, maxSpecSize+1))
	if err != nil {
		return nil, err
	}
	if len(content) > maxSpecSize {
		return nil, fmt.Errorf("larger than %d bytes", maxSpecSize)
	}
	if strings.HasSuffix(path, ".json") {
		return parseJSONSpec(name, path, content)
	}
	return parseURLSpec(name, path, content)
}

// checkRegular passes on a stat error, or refuses what is not a regular file.
func checkRegular(fi os.FileInfo, err error) error {
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("not a regular file: %s", describeType(fi.Mode().Type()))
	}
	return nil
}

// describeType names a file type for an error message.
func describeType(t fs.FileMode) string {
	switch {
	case t&fs.ModeDir != 0:
		return "a directory"
	case t&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeDevice != 0:
		return "a device"
	default:
		return fmt.Sprintf("of type %v", t)
	}
}

// parseURLSpec parses a .spec file: one URL, surrounding white space trimmed.
func parseURLSpec(name, path string, content []byte) (*Plugin, error) {
	addr := strings.TrimSpace(string(content))
	if _, err := parseAddr(addr); err != nil {
		return nil, err
	}
	return &Plugin{Name: name, Addr: addr, TLSConfig: tlsconfig.Options{InsecureSkipVerify: true}, source: path}, nil
}

// jsonSpec is the layout of a .json spec file. TLSConfig is a pointer to
// tell a missing TLSConfig from an empty one.
type jsonSpec struct {
	Name      string // ignored: the file name is the plugin's name
	Addr      string
	TLSConfig *tlsconfig.Options
}

// parseJSONSpec parses a .json spec file. As in the engine, a TLSConfig
// without a CAFile skips verification, and trailing data after the object is
// ignored.
func parseJSONSpec(name, path string, content []byte) (*Plugin, error) {
	var spec jsonSpec
	if err := json.NewDecoder(bytes.NewReader(content)).Decode(&spec); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty file, want a JSON object")
		}
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := parseAddr(spec.Addr); err != nil {
		return nil, err
	}
	p := &Plugin{Name: name, Addr: spec.Addr, source: path}
	if spec.TLSConfig != nil {
		p.TLSConfig = *spec.TLSConfig
		if p.TLSConfig.CAFile == "" {
			p.TLSConfig.InsecureSkipVerify = true
		}
	}
	return p, nil
}
