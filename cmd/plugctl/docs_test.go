package main

import (
	"bytes"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The reference, which must say what plugctl does: same commands, same
// flags, same texts as the helps.
const docsFile = "../../docs/plugctl.md"

// docSection is a "## " section of the reference; cmds, for a section
// titled "plugctl COMMAND", are that command and the commands under it
// that have no section of their own (completion's shells).
type docSection struct {
	title string
	text  string
	cmds  []*cobra.Command
}

func readDocs(t *testing.T, root *cobra.Command) []docSection {
	t.Helper()
	raw, err := os.ReadFile(docsFile)
	require.NoError(t, err)
	var sections []docSection
	for i, part := range regexp.MustCompile(`(?m)^## `).Split(string(raw), -1) {
		if i == 0 {
			continue // the title and the introduction
		}
		title, _, _ := strings.Cut(part, "\n")
		s := docSection{title: strings.Trim(title, "` "), text: part}
		if words := strings.Fields(s.title); words[0] == "plugctl" {
			c, rest, err := root.Find(words[1:])
			require.NoError(t, err, s.title)
			require.Empty(t, rest, "section %q names no command", s.title)
			s.cmds = []*cobra.Command{c}
		}
		sections = append(sections, s)
	}
	// Commands without a section go with their parent's.
	titled := func(c *cobra.Command) bool {
		return slices.ContainsFunc(sections, func(s docSection) bool { return len(s.cmds) > 0 && s.cmds[0] == c })
	}
	for i := range sections {
		if len(sections[i].cmds) == 0 || !sections[i].cmds[0].HasParent() {
			continue
		}
		walk(sections[i].cmds[0], func(c *cobra.Command) {
			if c != sections[i].cmds[0] && !c.Hidden && !titled(c) {
				sections[i].cmds = append(sections[i].cmds, c)
			}
		})
	}
	return sections
}

// lookupFlag finds the flag a command-line token names: --name or -x.
func lookupFlag(c *cobra.Command, token string) *pflag.Flag {
	if name, ok := strings.CutPrefix(token, "--"); ok {
		return c.Flags().Lookup(name)
	}
	return c.Flags().ShorthandLookup(strings.TrimPrefix(token, "-"))
}

// TestDocsDocumentEveryCommandAndFlag: every command has its section, with
// its help's text and a table of exactly its flags, described as -h
// describes them; every flag the reference names anywhere exists.
func TestDocsDocumentEveryCommandAndFlag(t *testing.T) {
	t.Parallel()
	root := newApp(nil, io.Discard, io.Discard).rootCommand()
	sections := readDocs(t, root)

	var documented []*cobra.Command
	for _, s := range sections {
		documented = append(documented, s.cmds...)
	}
	walk(root, func(c *cobra.Command) {
		if !c.Hidden {
			assert.Contains(t, documented, c, "%s has no section", c.CommandPath())
		}
	})

	flagRow := regexp.MustCompile("(?m)^\\| (`-.*?) \\|.*?\\| (.*) \\|$")
	flagToken := regexp.MustCompile("(?:^|[\\s(`'\"|])(--?[a-zA-Z][a-zA-Z0-9-]*)")
	space := strings.Join
	for _, s := range sections {
		t.Run(s.title, func(t *testing.T) {
			text := space(strings.Fields(s.text), " ")
			if len(s.cmds) > 0 {
				c := s.cmds[0]
				long := space(strings.Fields(c.Long), " ")
				assert.True(t, strings.Contains(text, long), "the section lacks the help's text:\n%s", long)

				// The table lists exactly the flags, described as -h does.
				want := make(map[string]bool)
				for _, c := range s.cmds {
					c.Flags().VisitAll(func(f *pflag.Flag) {
						want["--"+f.Name] = true
						if f.Shorthand != "" {
							want["-"+f.Shorthand] = true
						}
					})
				}
				got := make(map[string]bool)
				for _, row := range flagRow.FindAllStringSubmatch(s.text, -1) {
					var usages []string
					for _, m := range regexp.MustCompile("`(--?[\\w-]+)").FindAllStringSubmatch(row[1], -1) {
						got[m[1]] = true
						for _, c := range s.cmds {
							if f := lookupFlag(c, m[1]); f != nil {
								_, usage := pflag.UnquoteUsage(f)
								usages = append(usages, usage)
							}
						}
					}
					assert.Contains(t, usages, row[2], "the description of %s", row[1])
				}
				assert.Equal(t, want, got, "the flags in the table")
			}

			// Every flag named is a flag of plugctl's (the examples'
			// command lines are checked whole by TestDocsExamplesAreRight).
			var cmds []*cobra.Command
			walk(root, func(c *cobra.Command) { cmds = append(cmds, c) })
			for _, m := range flagToken.FindAllStringSubmatch(s.text, -1) {
				found := slices.ContainsFunc(cmds, func(c *cobra.Command) bool { return lookupFlag(c, m[1]) != nil })
				assert.True(t, found, "%s is no flag of plugctl", m[1])
			}
		})
	}
}

// TestDocsExamplesAreRight: every command the reference names exists, and
// every example command line parses, or fails as the reference shows.
func TestDocsExamplesAreRight(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(docsFile)
	require.NoError(t, err)
	root := newApp(nil, io.Discard, io.Discard).rootCommand()

	// The code: fenced blocks and inline spans.
	var code []string
	fence := regexp.MustCompile("(?ms)^```[a-z]*\n(.*?)^```$")
	for _, m := range fence.FindAllStringSubmatch(string(raw), -1) {
		code = append(code, strings.Split(m[1], "\n")...)
	}
	for _, m := range regexp.MustCompile("`([^`\n]+)`").FindAllStringSubmatch(fence.ReplaceAllString(string(raw), ""), -1) {
		code = append(code, m[1])
	}

	placeholder := regexp.MustCompile(`^(\[[a-zA-Z |]+\]|[A-Z]+)$`)
	named := regexp.MustCompile(`\bplugctl((?: +[a-z][a-z-]*)+)`)
	for _, line := range code {
		for _, m := range named.FindAllStringSubmatch(line, -1) {
			words := strings.Fields(m[1])
			c, rest, err := root.Find(words)
			require.NoError(t, err)
			if len(rest) > 0 && !placeholder.MatchString(rest[0]) {
				assert.NotEqual(t, "plugctl", c.CommandPath(), "%q names no command", m[0])
			}
		}
	}

	prompt := regexp.MustCompile(`^\$ (?:.*\| )?(?:go run \./cmd/)?(plugctl(?: .*)?)$`)
	for i, line := range code {
		m := prompt.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		args := shellWords(t, m[1])[1:]
		t.Run(m[1], func(t *testing.T) {
			next := ""
			if i+1 < len(code) {
				next = code[i+1]
			}
			if strings.Contains(next, "(see 'plugctl") {
				// A usage error: plugctl says what the reference shows.
				var stdout, stderr bytes.Buffer
				code := run(t.Context(), args, strings.NewReader(""), &stdout, &stderr)
				assert.Equal(t, exitUsage, code)
				assert.Equal(t, next+"\n", stderr.String())
				return
			}
			root := newApp(nil, io.Discard, io.Discard).rootCommand()
			c, rest, err := root.Find(commandFirst(root, args))
			require.NoError(t, err)
			require.NoError(t, c.ParseFlags(rest))
			assert.NoError(t, c.ValidateArgs(c.Flags().Args()))
		})
	}
}

// shellWords splits a command line as a POSIX shell would, for the
// quoting the reference uses: single and double quotes, no expansion. A
// pipe or a redirection ends the command.
func shellWords(t *testing.T, line string) []string {
	var words []string
	var word strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case (r == '|' || r == '>' || r == '<') && !inWord:
			return words
		case r == ' ':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	require.Zero(t, quote, "unbalanced quotes: %s", line)
	if inWord {
		words = append(words, word.String())
	}
	return words
}
