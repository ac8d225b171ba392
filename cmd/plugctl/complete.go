package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// completeNames completes the first n arguments with the names of the
// plugins in the directories of the command line, as Scan finds them: no
// plugin is contacted. The arguments after them are not completed.
func (a *app) completeNames(o *options, n int) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) >= n {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		a.options = *o
		names, err := a.registry().Scan()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var out []string
		for _, name := range names {
			if strings.HasPrefix(name, toComplete) {
				out = append(out, name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
