package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/go-dockerplugins/plugins"
	"github.com/spf13/cobra"
)

const callTimeoutUsage = "bound lookup, activation and the call to `DURATION`, retries included"

func (a *app) callCommand() *cobra.Command {
	o := new(options)
	c := &cobra.Command{
		Use:   "call [flags] NAME METHOD [JSON | @FILE | -]",
		Short: "call a method of a plugin and print the answer",
		Long: "Call METHOD (e.g. VolumeDriver.List) of plugin NAME with a JSON argument given inline, read\n" +
			"from FILE (@FILE) or from standard input (-); without one, or with an empty FILE or standard\n" +
			"input, {} is sent, as a daemon does. An argument that starts with - goes after --. The answer\n" +
			"is printed, indented when it is JSON. After " + quietBeforeNotice.String() + " of silence, plugctl says on stderr what it\n" +
			"waits for.\n\n" +
			"Exit status: 1 when the plugin is not found or does not answer in time, or answers with an\n" +
			"error (an error status, or a JSON answer whose Err is set, which is printed all the same), 0\n" +
			"otherwise, 2 when the command line is wrong.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) < 2 || len(args) > 3 {
				return usagef("want NAME METHOD [JSON | @FILE | -], got %d arguments", len(args))
			}
			return nil
		},
		ValidArgsFunction: a.completeNames(o, 1),
	}
	return a.pluginCommand(c, o, true, a.defaultTimeout, callTimeoutUsage, func(ctx context.Context, args []string) error {
		var arg *string
		if len(args) == 3 {
			arg = &args[2]
		}
		return a.call(ctx, args[0], args[1], arg)
	})
}

func (a *app) call(ctx context.Context, name, method string, arg *string) error {
	body, err := a.callBody(arg)
	if err != nil {
		return err
	}
	ctx, cancel := a.withTimeout(ctx, a.defaultTimeout)
	defer cancel()
	reg := a.registry()
	// The address, if the plugin is found, lets plugctl say where it waits;
	// a failed lookup is left to Activate to report.
	addr := ""
	if desc, err := reg.Plugin(name); err == nil {
		addr = desc.Addr
	}
	stop := a.watch(name, addr, "Plugin.Activate")
	p, err := a.store(reg, a.defaultTimeout).Activate(ctx, name)
	stop()
	if err != nil {
		return a.noAnswer(err, name, addr, "Plugin.Activate")
	}
	stop = a.watch(name, p.Addr, method)
	answer, err := p.Client.CallRaw(ctx, method, body)
	stop()
	var se *plugins.StatusError
	if errors.As(err, &se) {
		return fmt.Errorf("%w (status %d)", err, se.StatusCode)
	}
	if err != nil {
		return a.noAnswer(err, name, p.Addr, method)
	}
	if err := a.printAnswer(answer); err != nil {
		return err
	}
	// A plugin may report a failure inside a successful answer.
	var withErr struct{ Err string }
	if json.Unmarshal(answer, &withErr) == nil && withErr.Err != "" {
		return fmt.Errorf("%s: the plugin answered with an error: %s", method, withErr.Err)
	}
	return nil
}

// emptyArgument is the body sent without an argument: what a daemon sends
// for methods that take none, since plugins built on older SDKs answer an
// empty body with a 400.
const emptyArgument = "{}"

// callBody returns the request body the argument gives: inline JSON,
// @FILE, or - for stdin; none, or an empty file or stdin, is {}.
func (a *app) callBody(arg *string) ([]byte, error) {
	if arg == nil {
		return []byte(emptyArgument), nil
	}
	var (
		body []byte
		from = "argument"
		err  error
	)
	switch {
	case *arg == "-":
		from = "standard input"
		if body, err = io.ReadAll(a.stdin); err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
	case strings.HasPrefix(*arg, "@"):
		from = (*arg)[1:]
		if body, err = os.ReadFile(from); err != nil {
			return nil, fmt.Errorf("reading the argument: %w", err)
		}
	default:
		body = []byte(*arg)
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 && *arg != "-" && !strings.HasPrefix(*arg, "@") {
		return nil, usagef("empty JSON argument")
	}
	if len(body) == 0 {
		return []byte(emptyArgument), nil
	}
	if err := json.Unmarshal(body, new(json.RawMessage)); err != nil {
		return nil, usagef("%s is not valid JSON: %v", from, err)
	}
	return body, nil
}

// printAnswer prints an answer, indented when it is JSON.
func (a *app) printAnswer(answer []byte) error {
	var out bytes.Buffer
	if json.Indent(&out, bytes.TrimSpace(answer), "", "  ") != nil {
		out.Reset()
		out.Write(answer)
	}
	if out.Len() > 0 && out.Bytes()[out.Len()-1] != '\n' {
		out.WriteByte('\n')
	}
	_, err := a.stdout.Write(out.Bytes())
	return err
}
