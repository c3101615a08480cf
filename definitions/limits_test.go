package definitions

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCompileRejectsOversizedSource(t *testing.T) {
	t.Parallel()
	src := "key: big\nsteps:\n  - id: a\n    assignee: requester\n# " + strings.Repeat("x", MaxSourceBytes) + "\n"
	require.Equal(t, []string{"1:1: the definition is 262197 bytes; the limit is 262144 bytes (256 KiB)"}, compileErrors(t, src))
}

func TestCompileRejectsInvalidUTF8(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"2:8: the definition is not valid UTF-8 text (byte 0xff)"}, compileErrors(t, "key: a\nname: é\xff\n"))
}

func TestCompileRejectsAliasBombQuickly(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 30; i++ {
		b.WriteString("a")
		b.WriteString(itoa(i))
		b.WriteString(": &a" + itoa(i) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + itoa(i-1))
		}
		b.WriteString("]\n")
	}
	start := time.Now()
	got := compileErrors(t, b.String())
	require.Less(t, time.Since(start), 2*time.Second)
	require.Equal(t, []string{"1:1: the document is too large once YAML aliases are expanded (more than 100000 nodes)"}, got)
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestCompileSupportsAliasesAndMerges(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `
key: aliases
x-due: &due 2 business days
x-task: &task
  assignee: requester
  due: *due
steps:
  - id: a
    <<: *task
  - id: b
    <<: *task
    title: Second
`)
	require.Equal(t, "requester", p.Steps[1].Assignee)
	require.Equal(t, Duration{N: 2, Unit: "business_day"}, p.Steps[0].Due.Offset)
	require.Equal(t, "Second", p.Steps[1].Title)
}
