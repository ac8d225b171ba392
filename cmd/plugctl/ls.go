package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/spf13/cobra"
)

// maxParallel bounds the plugins ls activates at once.
const maxParallel = 16

type lsFlags struct {
	noActivate bool
	quiet      bool
	format     string
}

// lsTimeoutUsage and the other texts of ls are repeated in docs/plugctl.md.
const lsTimeoutUsage = "bound each plugin's activation to `DURATION`; plugins are activated in parallel"

func (a *app) lsCommand() *cobra.Command {
	var f lsFlags
	o := new(options)
	c := &cobra.Command{
		Use:   "ls [flags]",
		Short: "list the plugins found, whether they answer and what they implement",
		Long: "List every plugin found in the plugin directories: where it was found, its address and, unless\n" +
			"--no-activate, whether it answers, what it implements and how long activation took. Plugins\n" +
			"are activated in parallel, each within --timeout. A directory given with --sockets-dir or\n" +
			"--specs-dir that does not exist is a warning on stderr.\n\n" +
			"Output: a table by default. -q prints the names only. --format json prints one JSON object\n" +
			"per plugin and line, durations in seconds. --format TEMPLATE prints a Go template for each\n" +
			"plugin, with fields .Name, .Source, .Addr, .Status, .Implements, .Activation,\n" +
			".ActivationSeconds and .Error, and functions join and json; --format 'table TEMPLATE' adds a\n" +
			"header and aligns the columns.\n\n" +
			"Exit status: 1 when a plugin listed failed (an unusable spec file, or no answer to the\n" +
			"activation unless --no-activate), once every plugin is printed, whatever the output; stderr\n" +
			"then says how many failed. 0 otherwise, 2 when the command line is wrong.",
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	fs := c.Flags()
	fs.BoolVar(&f.noActivate, "no-activate", false, "only list what is found; do not contact the plugins")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print the names only")
	fs.StringVar(&f.format, "format", "", "print with `FORMAT`: table, json or a Go template (see above)")
	_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(
		[]string{"table\tthe default table", "json\tone JSON object per line", "{{.Name}}\tthe names"}, cobra.ShellCompDirectiveNoFileComp))
	// The format is checked first: a usage error says nothing else.
	var p *lsPrinter
	c.PreRunE = func(*cobra.Command, []string) (err error) {
		p, err = newLsPrinter(f)
		return err
	}
	return a.pluginCommand(c, o, true, lsDefaultTimeout, lsTimeoutUsage, func(ctx context.Context, _ []string) error {
		return a.ls(ctx, f, p)
	})
}

// lsRow is one plugin of the listing: a JSON object of --format json and
// the data of --format templates.
type lsRow struct {
	Name   string `json:"name"`
	Source string `json:"source,omitempty"`
	Addr   string `json:"addr,omitempty"`
	// Status is "ok" or "error"; empty with --no-activate and no error.
	Status     string   `json:"status,omitempty"`
	Implements []string `json:"implements,omitempty"`
	// Activation is how long the activation took, successful or not, as
	// the table shows it ("" when not activated); ActivationSeconds is the
	// same for programs.
	Activation        string  `json:"-"`
	ActivationSeconds float64 `json:"-"`
	Error             string  `json:"error,omitempty"`
}

// MarshalJSON gives activationSeconds only for a plugin activated.
func (r lsRow) MarshalJSON() ([]byte, error) {
	type plain lsRow // without this method
	out := struct {
		plain
		ActivationSeconds *float64 `json:"activationSeconds,omitempty"`
	}{plain: plain(r)}
	if r.Activation != "" {
		out.ActivationSeconds = &r.ActivationSeconds
	}
	return json.Marshal(out)
}

func (a *app) ls(ctx context.Context, f lsFlags, p *lsPrinter) error {
	reg := a.registry()
	names, err := reg.Scan()
	if err != nil {
		return fmt.Errorf("listing plugins: %w", err)
	}
	store := a.store(reg, lsDefaultTimeout)
	rows := make([]lsRow, len(names))
	sem := make(chan struct{}, maxParallel)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			rows[i] = a.lsOne(ctx, reg, store, name, !f.noActivate)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err // interrupted: the rows would only say so
	}
	if err := p.print(a.stdout, rows, !f.noActivate); err != nil {
		return err
	}
	return failedRows(rows, p.showsErrors())
}

// failedRows is the error of a listing where some plugins failed: the
// rows say what failed, the exit status that something did. Output that
// does not show the errors (-q, templates) gets the names.
func failedRows(rows []lsRow, shown bool) error {
	var failed []string
	for _, r := range rows {
		if r.Error != "" {
			failed = append(failed, r.Name)
		}
	}
	switch {
	case len(failed) == 0:
		return nil
	case shown:
		return fmt.Errorf("%d of %d plugins failed (see their rows)", len(failed), len(rows))
	}
	return fmt.Errorf("%d of %d plugins failed: %s", len(failed), len(rows), strings.Join(failed, ", "))
}

// lsOne describes one plugin, checking it (its handshake, once, without
// activating it) within its own time bound so that a plugin that hangs
// does not delay the others.
func (a *app) lsOne(ctx context.Context, reg *plugins.LocalRegistry, store *plugins.Store, name string, activate bool) lsRow {
	row := lsRow{Name: name}
	desc, err := reg.Plugin(name)
	if err != nil {
		row.Status, row.Error = "error", brief(err, 0)
		var le *plugins.LookupError
		if errors.As(err, &le) && !errors.Is(err, plugins.ErrNotFound) && len(le.Searched) > 0 {
			// The last path searched is the spec file that is unusable.
			row.Source = le.Searched[len(le.Searched)-1]
			row.Error = strings.TrimPrefix(le.Err.Error(), "spec file "+row.Source+": ")
		}
		return row
	}
	row.Source, row.Addr = desc.Source(), desc.Addr
	if !activate {
		return row
	}
	bound := a.retryBudget(lsDefaultTimeout)
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	h := store.Check(ctx, name)
	row.Activation = roundDuration(h.Took).String()
	row.ActivationSeconds = seconds(h.Took)
	if h.Err != nil {
		row.Status, row.Error = "error", brief(h.Err, bound)
		return row
	}
	row.Status, row.Implements = "ok", h.Implements
	return row
}

// dash stands for an empty cell, so that columns stay readable.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// roundDuration keeps durations readable: 1.234ms, 12.3ms, 1.23s.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond)
	case d < time.Second:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(10 * time.Millisecond)
	}
}

// seconds is a duration for JSON output: a number of seconds, to the
// microsecond.
func seconds(d time.Duration) float64 {
	return d.Round(time.Microsecond).Seconds()
}
