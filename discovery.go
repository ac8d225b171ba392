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
	names := make([]string, len(found))
	for i, f := range found {
		names[i] = f.name
	}
	// Ranks do not matter here: sorting bare strings is about twice as fast.
	slices.Sort(names)
	return slices.Compact(names), nil
}

// Plugins returns every plugin in the registry's directories, each once,
// sorted by name and resolved as Plugin would resolve it. A plugin whose
// spec file is unusable is logged and left out; an unreadable directory is
// an error, a missing one is not.
func (r *LocalRegistry) Plugins() ([]*Plugin, error) {
	files, err := r.scan()
	if err != nil {
		return nil, err
	}
	// Keep, for each name, the file of lowest rank.
	slices.SortFunc(files, func(a, b found) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return a.rank - b.rank
	})
	files = slices.CompactFunc(files, func(a, b found) bool { return a.name == b.name })
	out := make([]*Plugin, 0, len(files))
	for _, f := range files {
		path := r.pathOf(f)
		if f.rank < 2 {
			out = append(out, newSocketPlugin(f.name, path))
			continue
		}
		p, err := readSpec(f.name, path)
		if err != nil {
			r.logger.WithField("plugin", f.name).WithError(err).Warn("Skipping plugin with unusable spec file")
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// found is a plugin file: the plugin's name and the file's rank in lookup
// order, which says where the file is (see pathOf). Kept small, as scan
// sorts many of them.
type found struct {
	name string
	rank int
}

// pathOf returns the path of a plugin file: its rank is its index in the
// candidates of its name.
func (r *LocalRegistry) pathOf(f found) string {
	if f.rank < 2 {
		if f.rank == 0 {
			return filepath.Join(r.socketsDir, f.name+".sock")
		}
		return filepath.Join(r.socketsDir, f.name, f.name+".sock")
	}
	dir, i := r.specsDirs[(f.rank-2)/4], (f.rank-2)%4
	ext := [...]string{".spec", ".json"}[i/2]
	if i%2 == 0 {
		return filepath.Join(dir, f.name+ext)
	}
	return filepath.Join(dir, f.name, f.name+ext)
}

// scan returns, in no order, every file through which a plugin can be
// found, from directory listings: listing n plugins costs a read of each
// directory and a sort, not n lookups.
func (r *LocalRegistry) scan() ([]found, error) {
	var all []found // of plugin files, ranked
	offer := func(f found) {
		if validateName(f.name) == nil {
			all = append(all, f)
		}
	}

	// Ranks follow the order of candidates(): X.sock, X/X.sock, then for
	// each spec directory X.spec, X/X.spec, X.json, X/X.json.
	if r.socketsDir != "" {
		entries, err := r.readDir(r.socketsDir)
		if err != nil {
			return nil, err
		}
		all = slices.Grow(all, len(entries))
		for _, e := range entries {
			typ := entryType(e, r.socketsDir)
			if name, ok := strings.CutSuffix(e.Name(), ".sock"); ok && typ == fs.ModeSocket {
				offer(found{name, 0})
			}
			if typ == fs.ModeDir {
				sub := filepath.Join(r.socketsDir, e.Name(), e.Name()+".sock")
				if fi, err := os.Stat(sub); err == nil && fi.Mode().Type() == fs.ModeSocket {
					offer(found{e.Name(), 1})
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
		all = slices.Grow(all, len(entries))
		for _, e := range entries {
			typ := entryType(e, dir)
			for j, ext := range [...]string{".spec", ".json"} {
				if name, ok := strings.CutSuffix(e.Name(), ext); ok && typ != fs.ModeIrregular {
					offer(found{name, base + 2*j})
				}
				if typ == fs.ModeDir {
					sub := filepath.Join(dir, e.Name(), e.Name()+ext)
					if _, err := os.Stat(sub); err == nil || !r.skippable(err) {
						offer(found{e.Name(), base + 2*j + 1})
					}
				}
			}
		}
	}
	return all, nil
}

// readDir lists dir, unsorted (scan sorts what it finds); a missing
// directory is empty, an unreadable one an error (unless running rootless).
func (r *LocalRegistry) readDir(dir string) ([]fs.DirEntry, error) {
	f, err := os.Open(dir)
	if err == nil {
		var entries []fs.DirEntry
		entries, err = f.ReadDir(-1)
		f.Close()
		if err == nil {
			return entries, nil
		}
	}
	if r.skippable(err) {
		return nil, nil
	}
	return nil, fmt.Errorf("reading plugin directory: %w", err)
}

// entryType is the type of the file a directory entry leads to, following
// symbolic links as a lookup does. A link that leads nowhere is
// fs.ModeIrregular, which no lookup would find; a link that cannot be
// followed for another reason (a loop) counts as a regular file, which a
// lookup reports as an error.
func entryType(e fs.DirEntry, dir string) fs.FileMode {
	typ := e.Type()
	if typ&fs.ModeSymlink == 0 {
		return typ.Type()
	}
	fi, err := os.Stat(filepath.Join(dir, e.Name()))
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
