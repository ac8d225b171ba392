package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/go-dockerplugins/plugins/conformance"
	"github.com/spf13/cobra"
)

const (
	checkTimeoutUsage = "bound lookup and activation, and each call the engine sets no timeout on, to `DURATION`"
	checkWriteUsage   = "also run the life cycle of probe resources, removed afterwards"
)

type checkFlags struct {
	write  bool
	format string
}

func (a *app) checkCommand() *cobra.Command {
	var f checkFlags
	o := new(options)
	c := &cobra.Command{
		Use:   "check [flags] NAME",
		Short: "check a plugin against what the engine reads, and say what the engine will make of it",
		Long:  checkLong(),
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("want one plugin name, got %d arguments", len(args))
			}
			return nil
		},
		ValidArgsFunction: a.completeNames(o, 1),
	}
	fs := c.Flags()
	fs.BoolVar(&f.write, "write", false, checkWriteUsage)
	fs.StringVar(&f.format, "format", "", "print with `FORMAT`: table, json or a Go template (see above)")
	_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(
		[]string{"table\tthe default table", "json\tone JSON object per line", "{{.Check}}\tthe checks"}, cobra.ShellCompDirectiveNoFileComp))
	// The format is checked first: a usage error says nothing else.
	var p *checkPrinter
	c.PreRunE = func(*cobra.Command, []string) (err error) {
		p, err = newCheckPrinter(f.format)
		return err
	}
	return a.pluginCommand(c, o, true, a.defaultTimeout, checkTimeoutUsage, func(ctx context.Context, args []string) error {
		return a.check(ctx, args[0], f, p)
	})
}

// checkIntro is the help of check before its list of checks.
const checkIntro = "Activate plugin NAME, then check it against what the engine really reads: its handshake and\n" +
	"how it speaks HTTP (written by hand, byte for byte the engine's requests), then, for each\n" +
	"interface its manifest lists, that interface's methods through the library's typed clients.\n" +
	"Each check is a row: PASS; WARN, the engine copes but not as the plugin meant; FAIL, something\n" +
	"breaks in the engine; SKIP, not judged (a call got no answer in time, a check it depends on\n" +
	"failed, or it does not apply). Every row says what the plugin did, and a WARN or a FAIL what\n" +
	"the engine does because of it. By default only calls that change nothing are made\n" +
	"(capabilities, listings, getting a name that does not exist, the handshake, an unknown\n" +
	"method); --write also runs the life cycle of probe resources with random names (a volume; a\n" +
	"network and an endpoint; an IPAM pool and an address), removes them afterwards whatever\n" +
	"happens, and reports what is left. Volume calls get the engine's timeouts; the other calls,\n" +
	"on which the engine sets none, --timeout.\n\n" +
	"Output: a table by default, then a count of the outcomes. --format json prints one JSON object\n" +
	"per check and line, with keys interface, check, status (pass, warn, fail or skip), detail and\n" +
	"consequence. --format TEMPLATE prints a Go template for each check, with fields .Interface,\n" +
	".Check, .Status, .Detail and .Consequence, and functions join and json; --format 'table\n" +
	"TEMPLATE' adds a header and aligns the columns.\n\n" +
	"Exit status: 1 when a check failed, once every row is printed, or when the plugin is not found\n" +
	"or cannot be activated; 0 otherwise, warnings included; 2 when the command line is wrong.\n\n" +
	"The checks, and what the engine does when they warn or fail (docs/check.md says when):\n"

// checkLong is the help of check: checkIntro, then every check with its
// consequences, from the list that the checks themselves use.
func checkLong() string {
	var b strings.Builder
	b.WriteString(checkIntro)
	for _, c := range conformance.Checks() {
		head := "- " + c.Interface + "/" + c.ID
		if c.Write {
			head += " (--write)"
		}
		wrapText(&b, head+": "+c.Title, "    ")
		if c.Warn != "" {
			wrapText(&b, "  WARN: "+c.WarnConsequence, "    ")
		}
		if c.Fail != "" {
			wrapText(&b, "  FAIL: "+c.FailConsequence, "    ")
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// helpWidth is the width the helps are written to.
const helpWidth = 98

// wrapText writes text wrapped to helpWidth, its continuation lines
// indented.
func wrapText(b *strings.Builder, text, indent string) {
	line := ""
	for _, word := range strings.Fields(text) {
		lead := ""
		if line == "" {
			lead = text[:len(text)-len(strings.TrimLeft(text, " "))]
		}
		switch {
		case line == "":
			line = lead + word
		case len(line)+1+len(word) > helpWidth:
			b.WriteString(line + "\n")
			line = indent + word
		default:
			line += " " + word
		}
	}
	b.WriteString(line + "\n")
}

func (a *app) check(ctx context.Context, name string, f checkFlags, p *checkPrinter) error {
	reg := a.registry()
	addr := ""
	if desc, err := reg.Plugin(name); err == nil {
		addr = desc.Addr
	}
	actx, cancel := a.withTimeout(ctx, a.defaultTimeout)
	defer cancel()
	stop := a.watch(name, addr, "Plugin.Activate")
	plugin, err := a.store(reg, a.defaultTimeout).Activate(actx, name)
	stop()
	if err != nil {
		return a.noAnswer(err, name, addr, "Plugin.Activate")
	}
	opts := []conformance.Option{conformance.WithCallTimeout(a.retryBudget(a.defaultTimeout))}
	if f.write {
		opts = append(opts, conformance.WithWrite())
	}
	report, err := conformance.Run(ctx, plugin, opts...)
	if err != nil {
		return err // interrupted: the probes are removed, the rows would only say so
	}
	if err := p.print(a.stdout, report); err != nil {
		return err
	}
	var failed []string
	for _, f := range report.Findings {
		if f.Status == conformance.Fail {
			failed = append(failed, f.Interface+"/"+f.Check)
		}
	}
	switch {
	case len(failed) == 0:
		return nil
	case p.tmpl == nil:
		return fmt.Errorf("%d of %d checks failed (see their rows)", len(failed), len(report.Findings))
	}
	return fmt.Errorf("%d of %d checks failed: %s", len(failed), len(report.Findings), strings.Join(failed, ", "))
}

// checkPrinter prints a report in the format --format chose.
type checkPrinter struct {
	outputFormat
}

// checkHeader is what a "table TEMPLATE" prints for its header row.
var checkHeader = map[string]any{
	"Interface": "INTERFACE", "Check": "CHECK", "Status": "STATUS", "Detail": "DETAIL", "Consequence": "CONSEQUENCE",
}

// sampleFinding has every field set: a --format template is tried on it
// before any plugin is contacted.
var sampleFinding = conformance.Finding{Interface: "X", Check: "x", Status: conformance.Fail, Detail: "x", Consequence: "x"}

func newCheckPrinter(format string) (*checkPrinter, error) {
	out, err := parseFormat(strings.TrimSpace(format), sampleFinding)
	if err != nil {
		return nil, err
	}
	return &checkPrinter{outputFormat: out}, nil
}

func (p *checkPrinter) print(w io.Writer, r conformance.Report) error {
	switch {
	case p.json:
		enc := json.NewEncoder(w)
		for _, f := range r.Findings {
			if err := enc.Encode(f); err != nil {
				return err
			}
		}
		return nil
	case p.tmpl != nil:
		out := w
		var tw *tabwriter.Writer
		if p.header {
			tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			out = tw
			if err := p.line(out, checkHeader); err != nil {
				return err
			}
		}
		for _, f := range r.Findings {
			if err := p.line(out, f); err != nil {
				return err
			}
		}
		if tw != nil {
			return tw.Flush()
		}
		return nil
	}
	return printCheckTable(w, r)
}

func (p *checkPrinter) line(w io.Writer, data any) error {
	if err := p.tmpl.Execute(w, data); err != nil {
		return usagef("--format: %v", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// printCheckTable prints a row per check, the consequence of a WARN or a
// FAIL on a line of its own under its detail, then the count of each
// outcome.
func printCheckTable(w io.Writer, r conformance.Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INTERFACE\tCHECK\tSTATUS\tDETAIL")
	for _, f := range r.Findings {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Interface, f.Check, f.Status, dash(f.Detail))
		if f.Consequence != "" {
			fmt.Fprintf(tw, "\t\t\t-> %s\n", f.Consequence)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	summary := fmt.Sprintf("%d checks: %d passed, %d warned, %d failed, %d skipped", len(r.Findings),
		r.Count(conformance.Pass), r.Count(conformance.Warn), r.Count(conformance.Fail), r.Count(conformance.Skip))
	if r.NeedWrite > 0 {
		summary += fmt.Sprintf("; %d more with --write", r.NeedWrite)
	}
	_, err := fmt.Fprintln(w, summary)
	return err
}
