package chaos

import (
	"fmt"
	"io"
	"os"
	"runtime"
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

// machine describes where the table was measured: CPU, cores, memory and the load
// average at the end (the machines are shared).
func machine() string {
	model := "unknown CPU"
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(raw), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	mem := ""
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(raw), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
		}
	}
	load := ""
	if raw, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(raw)); len(f) >= 3 {
			load = fmt.Sprintf(", load average %s %s %s", f[0], f[1], f[2])
		}
	}
	return fmt.Sprintf("%s, %d cores%s, %s%s", model, runtime.NumCPU(), mem, runtime.Version(), load)
}
