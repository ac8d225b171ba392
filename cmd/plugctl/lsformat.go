package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
)

// lsPrinter prints the rows of ls in the format its flags chose.
type lsPrinter struct {
	quiet bool
	outputFormat
}

// outputFormat is what --format asks of a command that prints rows, as
// docker's commands read it: "table" (the default), "json" (one object a
// line), a Go template, or "table TEMPLATE" (a header row and aligned
// columns).
type outputFormat struct {
	json   bool
	tmpl   *template.Template // nil: the default table, or json
	header bool
}

// parseFormat reads --format, trying a template on sample (a row with
// every field set) so that a bad one is a usage error before any plugin is
// contacted.
func parseFormat(format string, sample any) (outputFormat, error) {
	switch format {
	case "", "table":
		return outputFormat{}, nil
	case "json":
		return outputFormat{json: true}, nil
	}
	var f outputFormat
	if rest, ok := strings.CutPrefix(format, "table "); ok {
		f.header, format = true, strings.TrimSpace(rest)
	}
	// As in docker, \t and \n may be typed as such.
	format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format)
	t, err := template.New("format").Funcs(templateFuncs).Parse(format)
	if err != nil {
		return f, usagef("--format: %v", err)
	}
	if err := t.Execute(io.Discard, sample); err != nil {
		return f, usagef("--format: %v", err)
	}
	f.tmpl = t
	return f, nil
}

// lsHeader is what a "table TEMPLATE" prints for its header row: each
// field's column name.
var lsHeader = map[string]any{
	"Name": "NAME", "Source": "SOURCE", "Addr": "ADDRESS", "Status": "STATUS",
	"Implements": []string{"IMPLEMENTS"}, "Activation": "TIME", "ActivationSeconds": "SECONDS", "Error": "ERROR",
}

// templateFuncs are the functions --format templates may use, named as in
// docker's.
var templateFuncs = template.FuncMap{
	"join": strings.Join,
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
}

// sampleRow is a row with every field set, on which a --format template is
// tried before any plugin is contacted.
var sampleRow = lsRow{
	Name: "x", Source: "x", Addr: "x", Status: "ok", Implements: []string{"X"},
	Activation: "1ms", ActivationSeconds: 0.001,
}

// newLsPrinter checks --quiet and --format before any plugin is contacted.
func newLsPrinter(f lsFlags) (*lsPrinter, error) {
	format := strings.TrimSpace(f.format)
	switch {
	case f.quiet && format != "":
		return nil, usagef("--quiet and --format cannot be used together")
	case f.quiet:
		return &lsPrinter{quiet: true}, nil
	}
	out, err := parseFormat(format, sampleRow)
	if err != nil {
		return nil, err
	}
	return &lsPrinter{outputFormat: out}, nil
}

// showsErrors reports whether the output says why each plugin failed.
func (p *lsPrinter) showsErrors() bool { return !p.quiet && p.tmpl == nil }

func (p *lsPrinter) print(w io.Writer, rows []lsRow, activated bool) error {
	switch {
	case p.quiet:
		for _, r := range rows {
			if _, err := fmt.Fprintln(w, r.Name); err != nil {
				return err
			}
		}
		return nil
	case p.json:
		enc := json.NewEncoder(w) // one object a line, as docker's --format json
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	case p.tmpl != nil:
		return p.printTemplate(w, rows)
	}
	return printTable(w, rows, activated)
}

func (p *lsPrinter) printTemplate(w io.Writer, rows []lsRow) error {
	out := w
	var tw *tabwriter.Writer
	if p.header {
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		out = tw
		if err := p.line(out, lsHeader); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if err := p.line(out, r); err != nil {
			return err
		}
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

func (p *lsPrinter) line(w io.Writer, data any) error {
	if err := p.tmpl.Execute(w, data); err != nil {
		return usagef("--format: %v", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func printTable(w io.Writer, rows []lsRow, activated bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
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
