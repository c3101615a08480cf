package chaos

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// printTable writes the fault table: what was acknowledged, lost, duplicated or
// otherwise wrong, and how long recovery took.
func printTable(w io.Writer, rows []Row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "fault\twhat\tacknowledged\tlost\tduplicated\tother violations\trecovery\tfault took")
	for _, r := range rows {
		rec := "—"
		if r.Recovery > 0 {
			rec = r.Recovery.Round(100 * time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", r.ID, r.Name, r.acked, r.lost, r.dup, r.viol, rec,
			r.Took.Round(time.Second))
	}
	_ = tw.Flush()
}

// formatAnswers prints a status histogram: "201×40 503×3 no-answer×2".
func formatAnswers(answers map[int]int) string {
	codes := make([]int, 0, len(answers))
	for c := range answers {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, 0, len(codes))
	for _, c := range codes {
		name := fmt.Sprint(c)
		if c == 0 {
			name = "no-answer"
		}
		parts = append(parts, fmt.Sprintf("%s×%d", name, answers[c]))
	}
	return strings.Join(parts, " ")
}
