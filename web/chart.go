package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// A chart is a horizontal bar chart drawn on the server as SVG: one row per label,
// one bar per series, each bar labelled with its value. Its numbers are also on the
// page as a table (and CSV), so the chart's title names it and the table carries it
// for screen readers.

type chartRow struct {
	Label  string
	Values []*float64 // nil: nothing to measure
}

type chart struct {
	ID     string
	Title  string
	Series []string
	Rows   []chartRow
	Format func(float64) string
}

const (
	chartW      = 640
	chartLabelW = 170
	chartBarH   = 16
	chartGap    = 10
)

// svg draws the chart.
func (ch chart) svg() template.HTML {
	n := len(ch.Series)
	rowH := n*chartBarH + chartGap
	legendH := 0
	if n > 1 {
		legendH = 22
	}
	h := legendH + len(ch.Rows)*rowH + 8
	top := 0.0
	for _, r := range ch.Rows {
		for _, v := range r.Values {
			if v != nil {
				top = math.Max(top, *v)
			}
		}
	}
	barMax := float64(chartW - chartLabelW - 90)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="%[1]s-t" width="%[2]d" height="%[3]d" viewBox="0 0 %[2]d %[3]d"><title id="%[1]s-t">%[4]s (the numbers are in the table below)</title>`,
		ch.ID, chartW, h, esc(ch.Title))
	if n > 1 {
		x := chartLabelW
		for i, s := range ch.Series {
			fmt.Fprintf(&b, `<rect class="s%d" x="%d" y="4" width="12" height="12"/><text x="%d" y="14">%s</text>`, i, x, x+16, esc(s))
			x += 24 + textW(s)
		}
	}
	for i, r := range ch.Rows {
		y := legendH + i*rowH
		fmt.Fprintf(&b, `<text class="label" x="%d" y="%d" text-anchor="end">%s</text>`, chartLabelW-8, y+n*chartBarH/2+4, esc(cutTo(r.Label, 26)))
		for k, v := range r.Values {
			by := y + k*chartBarH
			if v == nil {
				fmt.Fprintf(&b, `<text class="value" x="%d" y="%d">no data</text>`, chartLabelW+4, by+chartBarH-4)
				continue
			}
			w := 0.0
			if top > 0 {
				w = *v / top * barMax
			}
			fmt.Fprintf(&b, `<rect class="s%d" x="%d" y="%d" width="%.1f" height="%d"/><text class="value" x="%.1f" y="%d">%s</text>`,
				k, chartLabelW, by+1, math.Max(w, 1), chartBarH-2, float64(chartLabelW)+math.Max(w, 1)+4, by+chartBarH-4, esc(ch.Format(*v)))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
