package web

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDiagramDiffLines(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\n"
	b := "a\nb\nc\nd\nE\nf\ng\nh\ni\n"
	var got []string
	for _, l := range lineDiff(a, b) {
		got = append(got, l.Op+l.Text)
	}
	require.Equal(t, []string{" b", " c", " d", "-e", "+E", " f", " g", " h", "+i"}, got)
	require.Nil(t, lineDiff(a, a))
	require.Equal(t, "+x", func() string { l := lineDiff("", "x")[1]; return l.Op + l.Text }())
	big := strings.Repeat("x\n", 3000)
	require.Len(t, lineDiff(big, big+"y\n"), 4)
}
