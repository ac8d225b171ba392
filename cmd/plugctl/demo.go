package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/authorization"
	"github.com/go-dockerplugins/plugins/conformance"
	"github.com/go-dockerplugins/plugins/network"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/go-dockerplugins/plugins/volume"
	"github.com/spf13/cobra"
)

// demoStepTimeout bounds each step of the demo when --timeout is not given.
const demoStepTimeout = 10 * time.Second

const demoTimeoutUsage = "bound each step to `DURATION`"

// demoIntro is the demo's first line, for someone who never used a plugin.
const demoIntro = "A Docker plugin is a process that extends the engine (volumes, networks, authorization, logging) " +
	"by answering JSON over HTTP on a socket; this demo serves three and uses them through the library."

func (a *app) demoCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "demo [flags]",
		Short: "run sample plugins and use them through the library, step by step",
		Long: "Start sample plugins in a temporary directory (a volume driver on a UNIX socket, a network\n" +
			"driver found through a .spec file over TCP, an authorization plugin found through a .json file\n" +
			"over TLS with generated certificates), then discover, activate and call them through the\n" +
			"library and its typed clients, printing each step and its latency; the last step before\n" +
			"clean-up checks the volume plugin as plugctl check --write does. Needs nothing installed\n" +
			"and no root; the directory is removed at the end, or when interrupted.\n\n" +
			"Exit status: 1 when a step failed (the later steps still run, unless the plugins could not\n" +
			"start), 0 otherwise, 2 when the command line is wrong.",
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	return a.pluginCommand(c, new(options), false, demoStepTimeout, demoTimeoutUsage, func(ctx context.Context, _ []string) error {
		return a.demo(ctx)
	})
}

// demo is the state its steps share.
type demo struct {
	a     *app
	scope pluginstest.Scope
	env   *pluginstest.Env
	dir   string
	reg   *plugins.LocalRegistry
	store *plugins.Store

	mu      sync.Mutex
	handled []string // "iface name", by the store's handlers

	vol, net, authz *plugins.Plugin
	// The typed clients of the activated plugins.
	volumes  *volume.Client
	networks *network.Client
	authz2   *authorization.Client
}

type demoStep struct {
	title string
	run   func(ctx context.Context) (string, error)
}

func (a *app) demo(ctx context.Context) error {
	d := &demo{a: a}
	defer d.scope.Close()
	steps := []demoStep{
		{"start sample plugins", d.start},
		{"discover (Registry.Plugins)", d.discover},
		{"register handlers (Store.Handle)", d.handle},
		{"activate " + demoVolumes + " (UNIX socket)", d.activate(&d.vol, demoVolumes, volume.Interface)},
		{"activate " + demoNet + " (.spec, TCP)", d.activate(&d.net, demoNet, network.Interface)},
		{"activate " + demoAuthz + " (.json, TLS)", d.activate(&d.authz, demoAuthz, authorization.Interface)},
		{"handlers ran once per plugin", d.checkHandlers},
		{"typed clients (FromPlugin)", d.typed},
		{"volume.Create", d.create},
		{"volume.Mount", d.mount},
		{"volume.Unmount", d.unmount},
		{"VolumeDriver.Create (SendFile)", d.sendFile},
		{"VolumeDriver.List (Stream)", d.stream},
		{"volume.Remove", d.remove},
		{"network.GetCapabilities", d.capabilities},
		{"authorization.AuthZReq over TLS", d.authorize},
		{"error answer (StatusError)", d.errorAnswer},
		{"optional method (fallback)", d.notFound},
		{"unknown plugin (ErrNotFound)", d.unknownPlugin},
		{"wrong interface (ErrNotImplements)", d.wrongInterface},
		{"GetAll(VolumeDriver)", d.getAll},
		{"check " + demoVolumes + " (conformance.Run)", d.check},
		{"clean up", d.cleanUp},
	}
	fmt.Fprintf(a.stdout, "%s\n\n", demoIntro)
	width := len("STEP")
	for _, s := range steps {
		width = max(width, len(s.title))
	}
	fmt.Fprintf(a.stdout, "%-*s  %-6s  %9s  %s\n", width, "STEP", "STATUS", "TIME", "DETAILS")
	failed := 0
	begin := time.Now()
	for i, s := range steps {
		start := time.Now()
		detail, err := d.runStep(ctx, s)
		status := "ok"
		if err != nil {
			status, detail, failed = "FAIL", oneLine(err.Error()), failed+1
		}
		fmt.Fprintf(a.stdout, "%-*s  %-6s  %9s  %s\n", width, s.title, status, roundDuration(time.Since(start)), detail)
		// Without plugins, or once interrupted, no later step can pass.
		if err != nil && (i == 0 || errors.Is(err, context.Canceled)) {
			break
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d steps failed", failed, len(steps))
	}
	fmt.Fprintf(a.stdout, "all %d steps passed in %v\n", len(steps), roundDuration(time.Since(begin)))
	return nil
}

// runStep runs one step within its time bound; pluginstest reports its
// own failures by panicking with an error (see pluginstest.Scope).
func (d *demo) runStep(ctx context.Context, s demoStep) (detail string, err error) {
	ctx, cancel := d.a.withTimeout(ctx, demoStepTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(error)
			if _, bug := r.(runtime.Error); !ok || bug {
				panic(r)
			}
			err = e
		}
	}()
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return s.run(ctx)
}

func (d *demo) start(context.Context) (string, error) {
	d.env = pluginstest.New(&d.scope)
	d.dir = filepath.Dir(d.env.SocketsDir())
	vol := d.env.ServeSocket(demoVolumes, "VolumeDriver")
	new(volumeDriver).serve(vol)
	net := d.env.ServeSpec(demoNet, "NetworkDriver")
	serveNetwork(net)
	authz := d.env.ServeJSON(demoAuthz, "authz")
	serveAuthz(authz)
	if d.a.demoHook != nil {
		d.a.demoHook(vol, net, authz)
	}
	// From here on, only the library is used, as a program would.
	d.reg = plugins.NewLocalRegistry(
		plugins.WithSocketsDir(d.env.SocketsDir()),
		plugins.WithSpecsDirs(d.env.SpecsDir()),
		plugins.WithLogger(d.a.logger()),
	)
	d.store = d.a.store(d.reg, 0)
	return "3 plugins in " + d.dir, nil
}

func (d *demo) discover(context.Context) (string, error) {
	found, err := d.reg.Plugins()
	if err != nil {
		return "", err
	}
	var parts []string
	for _, p := range found {
		parts = append(parts, filepath.Base(p.Source()))
	}
	if len(found) != 3 {
		return "", fmt.Errorf("found %d plugins, want 3: %s", len(found), strings.Join(parts, ", "))
	}
	return strings.Join(parts, ", "), nil
}

func (d *demo) handle(context.Context) (string, error) {
	for _, iface := range []string{"VolumeDriver", "NetworkDriver", "authz"} {
		d.store.Handle(iface, func(name string, _ *plugins.Client) {
			d.mu.Lock()
			defer d.mu.Unlock()
			d.handled = append(d.handled, iface+" "+name)
		})
	}
	return "VolumeDriver, NetworkDriver, authz", nil
}

func (d *demo) activate(dst **plugins.Plugin, name, iface string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		p, err := d.store.GetContext(ctx, name, iface)
		if err != nil {
			return "", err
		}
		*dst = p
		detail := fmt.Sprintf("implements %v at %s", p.Manifest.Implements, p.Addr)
		if p.TLSConfig.CAFile != "" && !p.TLSConfig.InsecureSkipVerify {
			detail += ", certificate verified with " + filepath.Base(p.TLSConfig.CAFile)
		}
		return detail, nil
	}
}

func (d *demo) checkHandlers(ctx context.Context) (string, error) {
	// A second Get is served from the cache and runs no handler again.
	if _, err := d.store.GetContext(ctx, demoVolumes, "VolumeDriver"); err != nil {
		return "", err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	want := []string{"VolumeDriver " + demoVolumes, "NetworkDriver " + demoNet, "authz " + demoAuthz}
	if strings.Join(d.handled, ",") != strings.Join(want, ",") {
		return "", fmt.Errorf("handlers ran for %v, want %v", d.handled, want)
	}
	return strings.Join(d.handled, ", "), nil
}

// typed makes the typed clients of the activated plugins, each checked
// against its plugin's manifest; a plugin not activated gets none.
func (d *demo) typed(context.Context) (string, error) {
	var missing []string
	if d.vol != nil {
		d.volumes, _ = volume.FromPlugin(d.vol)
	}
	if d.net != nil {
		d.networks, _ = network.FromPlugin(d.net)
	}
	if d.authz != nil {
		d.authz2, _ = authorization.FromPlugin(d.authz)
	}
	for name, made := range map[string]bool{"volume": d.volumes != nil, "network": d.networks != nil, "authorization": d.authz2 != nil} {
		if !made {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return "", fmt.Errorf("no %s client: its plugin is not activated", strings.Join(missing, ", no "))
	}
	if d.net != nil {
		if _, err := volume.FromPlugin(d.net); !errors.Is(err, plugins.ErrNotImplements) {
			return "", fmt.Errorf("a volume client of the network plugin: got %v, want ErrNotImplements", err)
		}
	}
	return "volume, network and authorization clients; none for a plugin that does not implement it", nil
}

// volumeClient is the typed volume client, once made.
func (d *demo) volumeClient() (*volume.Client, error) {
	if d.volumes == nil {
		return nil, errors.New("no volume client")
	}
	return d.volumes, nil
}

func (d *demo) create(ctx context.Context) (string, error) {
	vols, err := d.volumeClient()
	if err != nil {
		return "", err
	}
	if err := vols.Create(ctx, volume.CreateRequest{Name: "data"}); err != nil {
		return "", err
	}
	return `volume "data" created`, nil
}

func (d *demo) mount(ctx context.Context) (string, error) {
	vols, err := d.volumeClient()
	if err != nil {
		return "", err
	}
	resp, err := vols.Mount(ctx, volume.MountRequest{Name: "data", ID: "demo-container"})
	if err != nil {
		return "", err
	}
	if resp.Mountpoint != mountpoint("data") {
		return "", fmt.Errorf("mountpoint %q, want %q", resp.Mountpoint, mountpoint("data"))
	}
	return "mounted at " + resp.Mountpoint, nil
}

func (d *demo) unmount(ctx context.Context) (string, error) {
	vols, err := d.volumeClient()
	if err != nil {
		return "", err
	}
	if err := vols.Unmount(ctx, volume.UnmountRequest{Name: "data", ID: "demo-container"}); err != nil {
		return "", err
	}
	return `volume "data" unmounted`, nil
}

func (d *demo) sendFile(ctx context.Context) (string, error) {
	if d.vol == nil {
		return "", errors.New("the volume plugin is not activated")
	}
	body := strings.NewReader(`{"Name": "logs"}`)
	if err := d.vol.Client.SendFileContext(ctx, "VolumeDriver.Create", body, nil); err != nil {
		return "", err
	}
	return `request body streamed from a reader: volume "logs" created`, nil
}

func (d *demo) stream(ctx context.Context) (string, error) {
	if d.vol == nil {
		return "", errors.New("the volume plugin is not activated")
	}
	rc, err := d.vol.Client.StreamContext(ctx, "VolumeDriver.List", nil)
	if err != nil {
		return "", err
	}
	defer func() { _ = rc.Close() }()
	raw, err := io.ReadAll(rc)
	if err != nil {
		return "", err
	}
	var list struct{ Volumes []struct{ Name string } }
	if err := json.Unmarshal(raw, &list); err != nil {
		return "", fmt.Errorf("decoding the answer: %w", err)
	}
	var names []string
	for _, v := range list.Volumes {
		names = append(names, v.Name)
	}
	if strings.Join(names, ",") != "data,logs" {
		return "", fmt.Errorf("listed %v, want [data logs]", names)
	}
	return fmt.Sprintf("read %d bytes: volumes %v", len(raw), names), nil
}

func (d *demo) remove(ctx context.Context) (string, error) {
	vols, err := d.volumeClient()
	if err != nil {
		return "", err
	}
	for _, v := range []string{"data", "logs"} {
		if err := vols.Remove(ctx, volume.RemoveRequest{Name: v}); err != nil {
			return "", err
		}
	}
	return `volumes "data" and "logs" removed`, nil
}

func (d *demo) capabilities(ctx context.Context) (string, error) {
	if d.networks == nil {
		return "", errors.New("no network client")
	}
	caps, err := d.networks.GetCapabilities(ctx)
	if err != nil {
		return "", err
	}
	if caps.Scope != network.LocalScope {
		return "", fmt.Errorf("scope %q, want local", caps.Scope)
	}
	return "scope " + caps.Scope, nil
}

func (d *demo) authorize(ctx context.Context) (string, error) {
	if d.authz2 == nil {
		return "", errors.New("no authorization client")
	}
	req := func(method string) authorization.Request {
		return authorization.Request{User: "alice", RequestMethod: method, RequestURI: "/v1.45/containers/json"}
	}
	allowed, err := d.authz2.AuthZReq(ctx, req(http.MethodGet))
	if err != nil {
		return "", err
	}
	denied, err := d.authz2.AuthZReq(ctx, req(http.MethodDelete))
	if err != nil {
		return "", err
	}
	if !allowed.Allow || denied.Allow {
		return "", fmt.Errorf("GET allowed: %v, DELETE allowed: %v; want true, false", allowed.Allow, denied.Allow)
	}
	return fmt.Sprintf("GET allowed; DELETE denied: %q", denied.Msg), nil
}

func (d *demo) errorAnswer(ctx context.Context) (string, error) {
	vols, err := d.volumeClient()
	if err != nil {
		return "", err
	}
	_, err = vols.Mount(ctx, volume.MountRequest{Name: "ghost", ID: "demo-container"})
	var se *plugins.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusInternalServerError {
		return "", fmt.Errorf("got %v, want a 500 StatusError", err)
	}
	return fmt.Sprintf("status %d: %v", se.StatusCode, err), nil
}

// notFound asks for the capabilities of a volume plugin that predates
// them: the typed client answers what the engine assumes.
func (d *demo) notFound(ctx context.Context) (string, error) {
	vols, err := d.volumeClient()
	if err != nil {
		return "", err
	}
	caps, err := vols.Capabilities(ctx)
	if err != nil || caps.Capabilities.Scope != volume.LocalScope {
		return "", fmt.Errorf("got %+v, %v; want scope local and no error", caps, err)
	}
	return "Capabilities answered 404, so the client assumes scope local, as the engine does", nil
}

func (d *demo) unknownPlugin(ctx context.Context) (string, error) {
	_, err := d.store.GetContext(ctx, "no-such-plugin", "VolumeDriver")
	var le *plugins.LookupError
	if !errors.Is(err, plugins.ErrNotFound) || !errors.As(err, &le) {
		return "", fmt.Errorf("got %v, want ErrNotFound", err)
	}
	return fmt.Sprintf("%v after searching %d paths", le.Err, len(le.Searched)), nil
}

func (d *demo) wrongInterface(ctx context.Context) (string, error) {
	_, err := d.store.GetContext(ctx, demoNet, "VolumeDriver")
	if !errors.Is(err, plugins.ErrNotImplements) {
		return "", fmt.Errorf("got %v, want ErrNotImplements", err)
	}
	return fmt.Sprintf("%v: %s is a NetworkDriver", plugins.ErrNotImplements, demoNet), nil
}

func (d *demo) getAll(ctx context.Context) (string, error) {
	ps, err := d.store.GetAllContext(ctx, "VolumeDriver")
	if err != nil {
		return "", err
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	if len(names) != 1 || names[0] != demoVolumes {
		return "", fmt.Errorf("got %v, want [%s]", names, demoVolumes)
	}
	return fmt.Sprint(names), nil
}

// check runs every check of the volume plugin, its life cycle included,
// as plugctl check --write does.
func (d *demo) check(ctx context.Context) (string, error) {
	if d.vol == nil {
		return "", errors.New("the volume plugin is not activated")
	}
	report, err := conformance.Run(ctx, d.vol, conformance.WithWrite())
	if err != nil {
		return "", err
	}
	if err := report.Err(); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d checks, the life cycle of a probe volume included: %d passed, %d warned",
		len(report.Findings), report.Count(conformance.Pass), report.Count(conformance.Warn)), nil
}

func (d *demo) cleanUp(context.Context) (string, error) {
	d.scope.Close()
	if d.dir == "" {
		return "nothing to clean", nil
	}
	if _, err := os.Stat(d.dir); !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%s is still there", d.dir)
	}
	return "plugins stopped, " + d.dir + " removed", nil
}
