package conformance_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/go-dockerplugins/plugins/conformance"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// update rewrites the list of checks in docs/check.md from Checks.
var update = flag.Bool("update", false, "rewrite the list of checks in docs/check.md")

const (
	checkDoc   = "../docs/check.md"
	beginMark  = "<!-- The checks, from conformance.Checks: go test ./conformance -run TestCheckDoc -update -->\n"
	endOfMarks = "<!-- End of the checks. -->\n"
)

// renderChecks writes the checks as docs/check.md lists them.
func renderChecks() string {
	var b strings.Builder
	in := ""
	for _, c := range conformance.Checks() {
		if c.Interface != in {
			in = c.Interface
			fmt.Fprintf(&b, "### %s\n\n", in)
		}
		fmt.Fprintf(&b, "#### `%s/%s`", c.Interface, c.ID)
		if c.Write {
			b.WriteString(" (with `--write`)")
		}
		fmt.Fprintf(&b, "\n\n%s\n\n", c.Title)
		if c.Pass != "" {
			fmt.Fprintf(&b, "- **PASS**: %s\n", c.Pass)
		}
		if c.Warn != "" {
			fmt.Fprintf(&b, "- **WARN**: %s\n  %s\n", c.Warn, c.WarnConsequence)
		}
		if c.Fail != "" {
			fmt.Fprintf(&b, "- **FAIL**: %s\n  %s\n", c.Fail, c.FailConsequence)
		}
		if c.Skip != "" {
			fmt.Fprintf(&b, "- **SKIP**: %s\n", c.Skip)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestCheckDoc: docs/check.md describes every check, its outcomes and
// their consequences, word for word as the checks give them.
func TestCheckDoc(t *testing.T) {
	raw, err := os.ReadFile(checkDoc)
	require.NoError(t, err)
	doc := string(raw)
	begin, end := strings.Index(doc, beginMark), strings.Index(doc, endOfMarks)
	require.True(t, begin >= 0 && end > begin, "docs/check.md lacks the marks around its list of checks")
	want := renderChecks()
	if *update {
		doc = doc[:begin+len(beginMark)] + "\n" + want + doc[end:]
		require.NoError(t, os.WriteFile(checkDoc, []byte(doc), 0o644))
		return
	}
	assert.Equal(t, "\n"+want, doc[begin+len(beginMark):end], "run go test ./conformance -run TestCheckDoc -update")
	for _, c := range conformance.Checks() {
		for _, text := range []string{c.Title, c.WarnConsequence, c.FailConsequence} {
			assert.NotContains(t, text, "<", "%s/%s: markdown would take it for HTML", c.Interface, c.ID)
		}
	}
}
