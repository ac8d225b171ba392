package main

import (
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildVersion is plugctl's version, from its build information.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return versionOf(nil)
	}
	return versionOf(info)
}

// versionOf is the module's version or, for a build from a working tree,
// "(devel)" and the revision it was built from, when the build recorded it.
func versionOf(info *debug.BuildInfo) string {
	const devel = "(devel)"
	if info == nil {
		return devel
	}
	if v := info.Main.Version; v != "" && v != devel {
		return v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return devel
	}
	if len(rev) > 12 {
		rev = rev[:12] // as in pseudo-versions
	}
	if modified == "true" {
		rev += ", modified"
	}
	return devel + " (revision " + rev + ")"
}

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version [flags]",
		Short: "print plugctl's version, as --version does",
		Long: "Print plugctl's version, as --version does: the module's version, or (devel) and the revision\n" +
			"it was built from when built from a working tree.",
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			_, err := c.OutOrStdout().Write([]byte("plugctl version " + c.Root().Version + "\n"))
			return err
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
}
