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
	// order is every place a plugin may be found, in lookup order.
	order []place
}

// RegistryOption configures a LocalRegistry: WithSocketsDir, WithSpecsDirs
// and WithLogger.
type RegistryOption interface {
	applyRegistry(*LocalRegistry)
}

// registryOption is a RegistryOption that only a registry takes.
type registryOption func(*LocalRegistry)

func (o registryOption) applyRegistry(r *LocalRegistry) { o(r) }

// WithSocketsDir sets the directory searched for NAME.sock and
// NAME/NAME.sock (default /run/docker/plugins; none on Windows). An empty
// dir disables socket discovery.
func WithSocketsDir(dir string) RegistryOption {
	return registryOption(func(r *LocalRegistry) { r.socketsDir = dir })
}

// WithSpecsDirs replaces the spec directories, searched in the order given
// (default SpecsPaths()). No dirs disables spec file discovery.
func WithSpecsDirs(dirs ...string) RegistryOption {
	return registryOption(func(r *LocalRegistry) { r.specsDirs = slices.Clone(dirs) })
}

// NewLocalRegistry returns a registry over the given directories, by default
// those of the operating system (see SpecsPaths).
func NewLocalRegistry(opts ...RegistryOption) *LocalRegistry {
	r := &LocalRegistry{socketsDir: defaultSocketsDir, specsDirs: specsPaths()}
	for _, o := range opts {
		if o != nil {
			o.applyRegistry(r)
		}
	}
	if r.logger == nil {
		r.logger = logrus.StandardLogger()
	}
	r.order = lookupOrder(r.socketsDir, r.specsDirs)
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

// place is where in a directory a plugin called NAME may be: NAME+ext, or
// NAME/NAME+ext when nested.
type place struct {
	dir    string
	ext    string
	nested bool
	socket bool // a UNIX socket; otherwise a spec file
}

// The lookup order within a sockets directory and within a spec directory,
// as the engine has it. It is written here only: lookups, listings and
// the paths they report all follow lookupOrder.
var (
	socketLayout = []place{{ext: ".sock", socket: true}, {ext: ".sock", nested: true, socket: true}}
	specLayout   = []place{{ext: ".spec"}, {ext: ".spec", nested: true}, {ext: ".json"}, {ext: ".json", nested: true}}
)

// lookupOrder lists the places of the sockets directory, then of each spec
// directory in turn.
func lookupOrder(socketsDir string, specsDirs []string) []place {
	var order []place
	add := func(dir string, layout []place) {
		for _, p := range layout {
			p.dir = dir
			order = append(order, p)
		}
	}
	if socketsDir != "" {
		add(socketsDir, socketLayout)
	}
	for _, dir := range specsDirs {
		add(dir, specLayout)
	}
	return order
}

// path is the place's path for the plugin called name.
func (p place) path(name string) string {
	if p.nested {
		return filepath.Join(p.dir, name, name+p.ext)
	}
	return filepath.Join(p.dir, name+p.ext)
}

// SearchPaths returns every path where the plugin called name is looked
// for, in lookup order; the first that exists (for sockets: that is a
// socket) wins.
func (r *LocalRegistry) SearchPaths(name string) ([]string, error) {
	if err := validateName(name); err != nil {
		return nil, err
	}
	paths := make([]string, len(r.order))
	for i, p := range r.order {
		paths[i] = p.path(name)
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
	for i, pl := range r.order {
		path := pl.path(name)
		fi, err := os.Stat(path)
		if pl.socket {
			// Like the engine: anything but a socket here is not a plugin.
			if err == nil && fi.Mode().Type() == fs.ModeSocket {
				return newSocketPlugin(name, path), nil
			}
			continue
		}
		if err != nil {
			if r.skippable(err) {
				continue
			}
			return nil, r.lookupError(name, r.order[:i+1], fmt.Errorf("spec file %s: %w", path, err))
		}
		p, err := readSpec(name, path)
		if err != nil {
			return nil, r.lookupError(name, r.order[:i+1], err)
		}
		return p, nil
	}
	return nil, r.lookupError(name, r.order, ErrNotFound)
}

func (r *LocalRegistry) lookupError(name string, searched []place, err error) error {
	paths := make([]string, len(searched))
	for i, p := range searched {
		paths[i] = p.path(name)
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
		pl := r.order[f.rank]
		path := pl.path(f.name)
		if pl.socket {
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

// found is a plugin file: the plugin's name and the file's rank, its
// place's index in the lookup order. Kept small, as scan sorts many.
type found struct {
	name string
	rank int
}

// scan returns, in no order, every file through which a plugin can be
// found, from directory listings: listing n plugins costs a read of each
// directory and a sort, not n lookups.
func (r *LocalRegistry) scan() ([]found, error) {
	var all []found // of plugin files, ranked
	for start := 0; start < len(r.order); {
		// The places of one directory follow each other: read it once.
		dir, end := r.order[start].dir, start
		for end < len(r.order) && r.order[end].dir == dir {
			end++
		}
		entries, err := r.readDir(dir)
		if err != nil {
			return nil, err
		}
		all = slices.Grow(all, len(entries))
		for _, e := range entries {
			typ := entryType(e, dir)
			for rank := start; rank < end; rank++ {
				if name, ok := r.nameAt(r.order[rank], e, typ); ok && validateName(name) == nil {
					all = append(all, found{name, rank})
				}
			}
		}
		start = end
	}
	return all, nil
}

// nameAt returns the name of the plugin that directory entry e, of type
// typ, makes findable at place p, if it makes one: a lookup of that name
// would find the file there.
func (r *LocalRegistry) nameAt(p place, e fs.DirEntry, typ fs.FileMode) (string, bool) {
	if !p.nested {
		name, ok := strings.CutSuffix(e.Name(), p.ext)
		if p.socket {
			return name, ok && typ == fs.ModeSocket
		}
		return name, ok && typ != fs.ModeIrregular
	}
	if typ != fs.ModeDir {
		return "", false
	}
	fi, err := os.Stat(p.path(e.Name()))
	if p.socket {
		return e.Name(), err == nil && fi.Mode().Type() == fs.ModeSocket
	}
	return e.Name(), err == nil || !r.skippable(err)
}

// readDir lists dir, unsorted (scan sorts what it finds); a missing
// directory is empty, an unreadable one an error (unless running rootless).
func (r *LocalRegistry) readDir(dir string) ([]fs.DirEntry, error) {
	f, err := os.Open(dir)
	if err == nil {
		var entries []fs.DirEntry
		entries, err = f.ReadDir(-1)
		_ = f.Close()
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
