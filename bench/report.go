package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// Figure is one row of the result: the interpreted (A) and hand-written (B) values, one
// per repetition, and what they are held against.
type Figure struct {
	ID     string
	Name   string
	Unit   string
	A, B   []float64
	Target string
	// check decides the verdict from the median A value and the median pairwise ratio;
	// nil means the figure is only reported.
	check func(a, ratio float64) bool
	Note  string
	// failed marks the row standing for a figure that could not be measured.
	failed bool
}

// interpreted, baseline and ratio are the medians; ok reports whether there is a value.
func (f Figure) interpreted() (float64, bool) { return median(f.A), len(f.A) > 0 }
func (f Figure) baseline() (float64, bool)    { return median(f.B), len(f.B) > 0 }
func (f Figure) ratio() (float64, bool) {
	r := ratios(f.A, f.B)
	return median(r), len(r) > 0
}

// pass is the verdict, nil for a figure that is only reported.
func (f Figure) pass() *bool {
	if f.failed {
		no := false
		return &no
	}
	if f.check == nil || len(f.A) == 0 {
		return nil
	}
	r, _ := f.ratio()
	ok := f.check(median(f.A), r)
	return &ok
}

// row is a figure as the JSON output holds it.
type row struct {
	ID          string   `json:"id"`
	Interpreted *float64 `json:"interpreted"`
	Baseline    *float64 `json:"baseline"`
	Ratio       *float64 `json:"ratio"`
	Target      string   `json:"target"`
	Pass        *bool    `json:"pass"`
}

func opt(v float64, ok bool) *float64 {
	if !ok {
		return nil
	}
	return &v
}

// writeJSON writes the figures to path.
func writeJSON(path string, figs []Figure) error {
	rows := make([]row, 0, len(figs))
	for _, f := range figs {
		rows = append(rows, row{ID: f.ID, Interpreted: opt(f.interpreted()), Baseline: opt(f.baseline()),
			Ratio: opt(f.ratio()), Target: f.Target, Pass: f.pass()})
	}
	b, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// printTable writes the table: figure, interpreted, baseline, ratio, target, verdict.
// Values are medians with the spread (min–max) over the repetitions.
func printTable(w io.Writer, figs []Figure) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tinterpreted\tbaseline\tratio\ttarget\tverdict")
	for _, f := range figs {
		verdict := "report"
		if f.failed {
			verdict = "ERROR"
		} else if p := f.pass(); p != nil {
			verdict = map[bool]string{true: "PASS", false: "MISS"}[*p]
		}
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\t%s\t%s\n", f.ID, f.Name, value(f.A, f.Unit), value(f.B, f.Unit),
			value(ratios(f.A, f.B), "×"), f.Target, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var notes []string
	for _, f := range figs {
		if f.Note != "" {
			notes = append(notes, fmt.Sprintf("  %s: %s", f.ID, f.Note))
		}
	}
	if len(notes) > 0 {
		_, err := fmt.Fprintf(w, "\nNotes:\n%s\n", strings.Join(notes, "\n"))
		return err
	}
	return nil
}

// value prints a median with its spread: "12.3 ms [11.9–13.0]".
func value(xs []float64, unit string) string {
	if len(xs) == 0 {
		return "—"
	}
	m := num(median(xs))
	if unit != "" {
		m += " " + unit
	}
	if lo, hi := spread(xs); len(xs) > 1 && lo != hi {
		m += fmt.Sprintf(" [%s–%s]", num(lo), num(hi))
	}
	return m
}

// num prints with three significant digits, no exponent for everyday magnitudes.
func num(v float64) string {
	switch a := abs(v); {
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 100:
		return fmt.Sprintf("%.1f", v)
	case a >= 10:
		return fmt.Sprintf("%.2f", v)
	case a >= 0.01 || a == 0:
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
