package plugins

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/sirupsen/logrus"
)

// Registry finds plugins by name and lists them. The plugins it returns are
// descriptions (Name, Addr, TLSConfig), not yet activated.
type Registry interface {
	// Plugins returns every plugin the registry can find.
	Plugins() ([]*Plugin, error)
	// Plugin returns the plugin called name, or an error that wraps
	// ErrNotFound if there is none.
	Plugin(name string) (*Plugin, error)
}

// LocalRegistry finds plugins on the local machine: UNIX sockets in a
// sockets directory, then .spec and .json files in spec directories, in the
// order and with the precedence of the engine.
type LocalRegistry struct {
	socketsDir string
	specsDirs  []string
	logger     logrus.FieldLogger
}

// RegistryOption configures a LocalRegistry.
type RegistryOption func(*LocalRegistry)

// WithSocketsDir sets the directory searched for NAME.sock and
// NAME/NAME.sock (default /run/docker/plugins; none on Windows). An empty
// dir disables socket discovery.
func WithSocketsDir(dir string) RegistryOption {
	return func(r *LocalRegistry) { r.socketsDir = dir }
}

// WithSpecsDirs replaces the spec directories, searched in the order given
// (default SpecsPaths()). No dirs disables spec file discovery.
func WithSpecsDirs(dirs ...string) RegistryOption {
	return func(r *LocalRegistry) { r.specsDirs = slices.Clone(dirs) }
}

// WithRegistryLogger sets where Plugins logs the plugins it skips because
// their spec file is unusable (default: logrus's standard logger).
func WithRegistryLogger(l logrus.FieldLogger) RegistryOption {
	return func(r *LocalRegistry) { r.logger = l }
}

// NewLocalRegistry returns a registry over the given directories, by default
// those of the operating system (see SpecsPaths).
func NewLocalRegistry(opts ...RegistryOption) *LocalRegistry {
	r := &LocalRegistry{socketsDir: defaultSocketsDir, specsDirs: specsPaths()}
	for _, o := range opts {
		if o != nil {
			o(r)
		}
	}
	if r.logger == nil {
		r.logger = logrus.StandardLogger()
	}
	return r
}

// SpecsPaths returns the directories searched for spec files, in order of
// priority: /etc/docker/plugins and /usr/lib/docker/plugins; under
// RootlessKit, $XDG_CONFIG_HOME/docker/plugins (or ~/.config/docker/plugins)
// and ~/.local/lib/docker/plugins; on Windows, %ProgramData%\docker\plugins.
func SpecsPaths() []string {
	return specsPaths()
}

// SocketsDir returns the directory searched for sockets ("" if none).
func (r *LocalRegistry) SocketsDir() string { return r.socketsDir }

// SpecsDirs returns the directories searched for spec files, in order.
func (r *LocalRegistry) SpecsDirs() []string { return slices.Clone(r.specsDirs) }

// candidate is a path where a plugin may be found.
type candidate struct {
	path   string
	socket bool
}

// candidates lists, in lookup order, where the plugin called name may be.
func (r *LocalRegistry) candidates(name string) []candidate {
	out := make([]candidate, 0, 2+4*len(r.specsDirs))
	if r.socketsDir != "" {
		out = append(out,
			candidate{filepath.Join(r.socketsDir, name+".sock"), true},
			candidate{filepath.Join(r.socketsDir, name, name+".sock"), true})
	}
	for _, dir := range r.specsDirs {
		for _, ext := range [...]string{".spec", ".json"} {
			out = append(out,
				candidate{path: filepath.Join(dir, name+ext)},
				candidate{path: filepath.Join(dir, name, name+ext)})
		}
	}
	return out
}

// SearchPaths returns every path where the plugin called name is looked
// for, in lookup order; the first that exists (for sockets: that is a
// socket) wins.
func (r *LocalRegistry) SearchPaths(name string) ([]string, error) {
	if err := validateName(name); err != nil {
		return nil, err
	}
	cs := r.candidates(name)
	paths := make([]string, len(cs))
	for i, c := range cs {
		paths[i] = c.path
	}
	return paths, nil
}

// Plugin returns the plugin called name: the first socket, then the first
// spec file, found in lookup order. The error is a *LookupError that wraps
// ErrNotFound when nothing was found, or the reason the spec file found is
// unusable. Invalid names are refused before any file system access.
func (r *LocalRegistry) Plugin(name string) (*Plugin, error) {
	if err := validateName(name); err != nil {
		return nil, err
	}
	cs := r.candidates(name)
	for i, c := range cs {
		fi, err := os.Stat(c.path)
		if c.socket {
			// Like the engine: anything but a socket here is not a plugin.
			if err == nil && fi.Mode().Type() == fs.ModeSocket {
				return newSocketPlugin(name, c.path), nil
			}
			continue
		}
		if err != nil {
			if r.skippable(err) {
				continue
			}
			return nil, r.lookupError(name, cs[:i+1], fmt.Errorf("spec file %s: %w", c.path, err))
		}
		p, err := readSpec(name, c.path)
		if err != nil {
			return nil, r.lookupError(name, cs[:i+1], err)
		}
		return p, nil
	}
	return nil, r.lookupError(name, cs, ErrNotFound)
}

func (r *LocalRegistry) lookupError(name string, searched []candidate, err error) error {
	paths := make([]string, len(searched))
	for i, c := range searched {
		paths[i] = c.path
	}
	return &LookupError{Name: name, Searched: paths, Err: err}
}

// skippable reports whether a stat or read error means "nothing here"
// rather than a broken installation: the path does not exist, a parent is
// not a directory, or access is denied while running rootless.
func (r *LocalRegistry) skippable(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) ||
		(errors.Is(err, fs.ErrPermission) && runningRootless())
}

// Scan returns the name of every plugin in the registry's directories,
// each once, sorted. It reads directories only, not spec files.
func (r *LocalRegistry) Scan() ([]string, error) {
	found, err := r.scan()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(found))
	for name := range found {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// Plugins returns every plugin in the registry's directories, each once,
// sorted by name and resolved as Plugin would resolve it. A plugin whose
// spec file is unusable is logged and left out; an unreadable directory is
// an error, a missing one is not.
func (r *LocalRegistry) Plugins() ([]*Plugin, error) {
	found, err := r.scan()
	if err != nil {
		return nil, err
	}
	out := make([]*Plugin, 0, len(found))
	for name, c := range found {
		if c.socket {
			out = append(out, newSocketPlugin(name, c.path))
			continue
		}
		p, err := readSpec(name, c.path)
		if err != nil {
			r.logger.WithField("plugin", name).WithError(err).Warn("Skipping plugin with unusable spec file")
			continue
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *Plugin) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// scan maps every plugin name in the registry's directories to the path that
// a lookup of that name would pick, from directory listings, so that listing
// n plugins costs one directory read plus O(n), not n lookups.
func (r *LocalRegistry) scan() (map[string]candidate, error) {
	type ranked struct {
		candidate
		rank int
	}
	best := make(map[string]ranked)
	offer := func(name string, c candidate, rank int) {
		if validateName(name) != nil {
			return
		}
		if cur, ok := best[name]; !ok || rank < cur.rank {
			best[name] = ranked{c, rank}
		}
	}

	// Ranks follow the order of candidates(): X.sock, X/X.sock, then for
	// each spec directory X.spec, X/X.spec, X.json, X/X.json.
	if r.socketsDir != "" {
		entries, err := r.readDir(r.socketsDir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			path := filepath.Join(r.socketsDir, e.Name())
			typ := entryType(e, path)
			if name, ok := strings.CutSuffix(e.Name(), ".sock"); ok && typ == fs.ModeSocket {
				offer(name, candidate{path, true}, 0)
			}
			if typ == fs.ModeDir {
				sub := filepath.Join(path, e.Name()+".sock")
				if fi, err := os.Stat(sub); err == nil && fi.Mode().Type() == fs.ModeSocket {
					offer(e.Name(), candidate{sub, true}, 1)
				}
			}
		}
	}
	for i, dir := range r.specsDirs {
		entries, err := r.readDir(dir)
		if err != nil {
			return nil, err
		}
		base := 2 + 4*i
		for _, e := range entries {
			path := filepath.Join(dir, e.Name())
			typ := entryType(e, path)
			for j, ext := range [...]string{".spec", ".json"} {
				if name, ok := strings.CutSuffix(e.Name(), ext); ok && typ != fs.ModeIrregular {
					offer(name, candidate{path: path}, base+2*j)
				}
				if typ == fs.ModeDir {
					sub := filepath.Join(path, e.Name()+ext)
					if _, err := os.Stat(sub); err == nil || !r.skippable(err) {
						offer(e.Name(), candidate{path: sub}, base+2*j+1)
					}
				}
			}
		}
	}
	out := make(map[string]candidate, len(best))
	for name, b := range best {
		out[name] = b.candidate
	}
	return out, nil
}

// readDir lists dir; a missing directory is empty, an unreadable one an
// error (unless running rootless).
func (r *LocalRegistry) readDir(dir string) ([]fs.DirEntry, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if r.skippable(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading plugin directory: %w", err)
	}
	return entries, nil
}

// entryType is the type of the file a directory entry leads to, following
// symbolic links as a lookup does. A link that leads nowhere is
// fs.ModeIrregular, which no lookup would find; a link that cannot be
// followed for another reason (a loop) counts as a regular file, which a
// lookup reports as an error.
func entryType(e fs.DirEntry, path string) fs.FileMode {
	typ := e.Type()
	if typ&fs.ModeSymlink == 0 {
		return typ.Type()
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil:
		return fi.Mode().Type()
	case errors.Is(err, fs.ErrNotExist):
		return fs.ModeIrregular
	default:
		return 0
	}
}

// newSocketPlugin describes a plugin found as a UNIX socket. TLS is unused
// on sockets; verification is off as in the engine.
func newSocketPlugin(name, path string) *Plugin {
	return &Plugin{
		Name:      name,
		Addr:      "unix://" + path,
		TLSConfig: tlsconfig.Options{InsecureSkipVerify: true},
		source:    path,
	}
}
