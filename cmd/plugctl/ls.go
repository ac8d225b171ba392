package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/go-dockerplugins/plugins"
)

// maxParallel bounds the plugins ls activates at once.
const maxParallel = 16

type lsFlags struct {
	noActivate bool
	json       bool
}

func lsCommand() *command {
	var f lsFlags
	return &command{
		name:    "ls",
		args:    "",
		summary: "list the plugins found, whether they answer and what they implement",
		doc: "List every plugin found in the plugin directories: where it was found, its address and, unless\n" +
			"--no-activate, whether it answers, what it implements and how long activation took. Plugins\n" +
			"are activated in parallel, each within --timeout (default 1s); a failure shows in its row, and\n" +
			"makes the exit status 1 once every row is printed.",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&f.noActivate, "no-activate", false, "only list what is found; do not contact the plugins")
			fs.BoolVar(&f.json, "json", false, "print a JSON array instead of a table")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) > 0 {
				return usagef("unexpected argument %q", args[0])
			}
			return a.ls(ctx, f)
		},
	}
}

// lsRow is one plugin of the listing.
type lsRow struct {
	Name   string `json:"name"`
	Source string `json:"source,omitempty"`
	Addr   string `json:"addr,omitempty"`
	// Status is "ok" or "error"; empty with --no-activate and no error.
	Status     string   `json:"status,omitempty"`
	Implements []string `json:"implements,omitempty"`
	// Activation is how long the activation took, successful or not.
	Activation string `json:"activation,omitempty"`
	Error      string `json:"error,omitempty"`
}

func (a *app) ls(ctx context.Context, f lsFlags) error {
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

	if f.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rows)
	} else {
		err = a.lsTable(rows, !f.noActivate)
	}
	if err != nil {
		return err
	}
	return failedRows(rows)
}

// failedRows is the error of a listing where some rows show a failure: the
// rows say what failed, the exit status that something did.
func failedRows(rows []lsRow) error {
	failed := 0
	for _, r := range rows {
		if r.Error != "" {
			failed++
		}
	}
	if failed == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d plugins failed (see their rows)", failed, len(rows))
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
	if h.Err != nil {
		row.Status, row.Error = "error", brief(h.Err, bound)
		return row
	}
	row.Status, row.Implements = "ok", h.Implements
	return row
}

func (a *app) lsTable(rows []lsRow, activated bool) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	if activated {
		fmt.Fprintln(tw, "NAME\tSOURCE\tADDRESS\tSTATUS\tTIME\tIMPLEMENTS / ERROR")
	} else {
		fmt.Fprintln(tw, "NAME\tSOURCE\tADDRESS\tERROR")
	}
	for _, r := range rows {
		addr := r.Addr
		if addr == "unix://"+r.Source {
			addr = "(socket)" // the path is in the SOURCE column already
		}
		detail := r.Error
		if detail == "" {
			detail = strings.Join(r.Implements, ",")
		}
		if activated {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, dash(r.Source), dash(addr), r.Status, dash(r.Activation), dash(detail))
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, dash(r.Source), dash(addr), dash(detail))
		}
	}
	return tw.Flush()
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
