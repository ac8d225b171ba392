package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/spf13/cobra"
)

const inspectTimeoutUsage = "bound lookup and activation to `DURATION`, retries included"

func (a *app) inspectCommand() *cobra.Command {
	o := new(options)
	c := &cobra.Command{
		Use:   "inspect [flags] NAME",
		Short: "show everything known about one plugin, as JSON",
		Long: "Show everything known about plugin NAME, as indented JSON: every path searched, in order, and\n" +
			"the one found; its address; its TLS settings (file names, never their contents); its manifest\n" +
			"and how long activation took, in seconds, or why lookup or activation failed. After " + quietBeforeNotice.String() + " of\n" +
			"silence, plugctl says on stderr what it waits for.\n\n" +
			"Exit status: 1 when lookup or activation failed (the JSON is printed all the same), 0\n" +
			"otherwise, 2 when the command line is wrong.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("want one plugin name, got %d arguments", len(args))
			}
			return nil
		},
		ValidArgsFunction: a.completeNames(o, 1),
	}
	return a.pluginCommand(c, o, true, a.defaultTimeout, inspectTimeoutUsage, func(ctx context.Context, args []string) error {
		return a.inspect(ctx, args[0])
	})
}

// inspection is what inspect prints.
type inspection struct {
	Name       string            `json:"name"`
	Lookup     lookupInfo        `json:"lookup"`
	Addr       string            `json:"addr,omitempty"`
	TLS        *tlsInfo          `json:"tls,omitempty"`
	Manifest   *plugins.Manifest `json:"manifest,omitempty"`
	Activation *activationInfo   `json:"activation,omitempty"`
}

type lookupInfo struct {
	// Searched lists the paths tried, in order, up to the one found.
	Searched []string `json:"searched"`
	Found    string   `json:"found,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// tlsInfo is the plugin's TLS settings: file names, never their contents.
type tlsInfo struct {
	// Used is false unless the address is https://: other schemes ignore TLS.
	Used               bool   `json:"used"`
	InsecureSkipVerify bool   `json:"insecureSkipVerify"`
	CAFile             string `json:"caFile,omitempty"`
	CertFile           string `json:"certFile,omitempty"`
	KeyFile            string `json:"keyFile,omitempty"`
	ExclusiveRootPools bool   `json:"exclusiveRootPools,omitempty"`
	MinVersion         string `json:"minVersion,omitempty"`
}

type activationInfo struct {
	Seconds float64 `json:"seconds"`
	Error   string  `json:"error,omitempty"`
}

func (a *app) inspect(ctx context.Context, name string) error {
	reg := a.registry()
	paths, err := reg.SearchPaths(name)
	if err != nil {
		return err
	}
	out := inspection{Name: name, Lookup: lookupInfo{Searched: paths}}
	desc, lookupErr := reg.Plugin(name)
	var le *plugins.LookupError
	switch {
	case errors.As(lookupErr, &le):
		out.Lookup.Searched, out.Lookup.Error = le.Searched, le.Err.Error()
	case lookupErr != nil:
		out.Lookup.Error = lookupErr.Error()
	default:
		out.Lookup.Found = desc.Source()
		if i := slices.Index(paths, desc.Source()); i >= 0 {
			out.Lookup.Searched = paths[:i+1]
		}
		out.Addr = desc.Addr
		out.TLS = describeTLS(desc)
	}

	var activateErr error
	if lookupErr == nil {
		start := time.Now() // before the deadline is set: a timed-out activation shows the whole bound
		ctx, cancel := a.withTimeout(ctx, a.defaultTimeout)
		defer cancel()
		stop := a.watch(name, desc.Addr, "Plugin.Activate")
		p, err := a.store(reg, a.defaultTimeout).Activate(ctx, name)
		stop()
		out.Activation = &activationInfo{Seconds: seconds(time.Since(start))}
		if err != nil {
			err = a.noAnswer(err, name, desc.Addr, "Plugin.Activate")
			out.Activation.Error, activateErr = err.Error(), err
		} else {
			out.Manifest = p.Manifest
		}
	}

	if err := ctx.Err(); err != nil {
		return err // interrupted: the JSON would only say so
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	// The JSON above lists the paths searched; the error need not.
	switch {
	case errors.Is(lookupErr, plugins.ErrNotFound):
		return fmt.Errorf("plugin %q: %w (searched %d paths)", name, plugins.ErrNotFound, len(out.Lookup.Searched))
	case lookupErr != nil:
		return lookupErr
	case errors.As(activateErr, new(*noAnswerError)):
		return activateErr // it says which plugin did not answer what
	case activateErr != nil:
		return fmt.Errorf("plugin %q: activation failed: %s", name, brief(activateErr, 0))
	}
	return nil
}

func describeTLS(p *plugins.Plugin) *tlsInfo {
	o := p.TLSConfig
	info := &tlsInfo{
		Used:               strings.HasPrefix(p.Addr, "https://"),
		InsecureSkipVerify: o.InsecureSkipVerify,
		CAFile:             o.CAFile,
		CertFile:           o.CertFile,
		KeyFile:            o.KeyFile,
		ExclusiveRootPools: o.ExclusiveRootPools,
	}
	if o.MinVersion != 0 {
		info.MinVersion = tls.VersionName(o.MinVersion)
	}
	return info
}
