package web

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/handoffhq/handoff/definitions"
)

// A flow diagram is drawn from the compiled program, on the server, as SVG: each
// sequence of steps is a column read top to bottom, a parallel step forks into its
// branches side by side and joins below them, and every jump (a decision's rules and
// default, `next`, an approval's send back, a wait's timeout, a failure's goto) is an
// edge on a lane to the right of its sequence, labelled with its rule; a jump to an
// earlier step (a rework loop) is a dashed back edge. A run's diagram marks each
// step with its state. The same graph is written out in words for screen readers.

// Step states a run's diagram marks (CSS classes st-<state>).
const (
	stateDone       = "done"
	stateCurrent    = "current"
	stateWaiting    = "waiting"
	stateSkipped    = "skipped"
	stateFailed     = "failed"
	stateNotReached = "not-reached"
)

// Layout sizes, in SVG user units (CSS pixels at 100 %).
const (
	boxW      = 224
	boxH      = 48
	barH      = 30
	rowGap    = 38
	branchGap = 28
	laneGap   = 12
	labelMax  = 44 // characters of an edge label before it is cut (the full rule is its tooltip)
	charW     = 6.4
	margin    = 16
)

// diagramItem is one row of a sequence: a step, or a parallel step with its branches.
type diagramItem struct {
	step     *definitions.Step
	branches []*diagramSeq // parallel only
	w, h     int
	x, y     int // top-left, once placed
	outs     []diagramJump
}

// diagramJump is an edge that leaves the column for a lane.
type diagramJump struct {
	to    int    // item index in the same sequence
	toID  string // the step it goes to
	label string
	rule  string // the full label, shown as the tooltip
	back  bool
	lane  int
}

// diagramSeq is one sequence of steps (the program's, or a branch's).
type diagramSeq struct {
	items      []*diagramItem
	end        bool // the top-level sequence: falling off its end finishes the run
	w, h       int
	center     int // the column's centre, relative to the sequence's left
	right      int // where the lanes start, relative to the centre
	lanes      int
	x, y       int
	finishY    int // the "run completes" terminal (top level), when reached by falling through
	finishUsed bool
}

// diagram is a laid-out flow, ready to write as SVG.
type diagram struct {
	prog   *definitions.Program
	root   *diagramSeq
	states map[string]string // step id → state; nil for a definition's diagram
	id     string            // a prefix for the SVG's element ids
	b      strings.Builder
	words  strings.Builder
}

// flowDiagram returns the program's diagram as inline SVG followed by the same flow in
// words. states, when not nil, marks each step of a run (steps missing from it are not
// reached); id makes the SVG's element ids unique on the page.
func flowDiagram(prog *definitions.Program, states map[string]string, id string) template.HTML {
	d := &diagram{prog: prog, states: states, id: id}
	d.root = buildSeq(prog.Steps, true)
	d.root.measure()
	d.root.place(margin, margin)
	d.write()
	return template.HTML(d.b.String())
}

func buildSeq(steps []definitions.Step, top bool) *diagramSeq {
	seq := &diagramSeq{end: top}
	index := make(map[string]int, len(steps))
	for i := range steps {
		index[steps[i].ID] = i
	}
	for i := range steps {
		s := &steps[i]
		it := &diagramItem{step: s}
		if s.Kind == definitions.KindParallel {
			for _, b := range s.Branches {
				it.branches = append(it.branches, buildSeq(b.Steps, false))
			}
		}
		jump := func(to, label string) {
			j, ok := index[to]
			if !ok {
				return
			}
			it.outs = append(it.outs, diagramJump{to: j, toID: to, label: cut(label), rule: label, back: j <= i})
		}
		switch s.Kind {
		case definitions.KindDecision:
			for _, r := range s.Rules {
				jump(r.Goto, r.When)
			}
			if j, ok := index[s.Default]; !ok || j != i+1 {
				jump(s.Default, "otherwise")
			}
		case definitions.KindApproval:
			if s.SendBackTo != "" {
				jump(s.SendBackTo, "rejected: send back")
			}
		case definitions.KindWait:
			if s.Wait != nil && s.Wait.OnTimeout != "" {
				jump(s.Wait.OnTimeout, "timed out")
			}
		}
		if s.OnFailure != nil && s.OnFailure.Action == definitions.FailureGoto {
			jump(s.OnFailure.Goto, "failed")
		}
		if s.Next != "" {
			if j, ok := index[s.Next]; ok && j != i+1 {
				jump(s.Next, "next")
			}
		}
		seq.items = append(seq.items, it)
	}
	return seq
}

// fallsThrough says whether the flow goes on to the following row after the item.
func (it *diagramItem) fallsThrough(seq *diagramSeq, i int) bool {
	s := it.step
	switch {
	case s.When != "": // a step its guard skips lets the flow go on
		return true
	case s.Kind == definitions.KindEnd:
		return false
	case s.Kind == definitions.KindDecision:
		j, ok := -1, false
		for k, other := range seq.items {
			if other.step.ID == s.Default {
				j, ok = k, true
			}
		}
		return ok && j == i+1
	case s.Next != "":
		for k, other := range seq.items {
			if other.step.ID == s.Next {
				return k == i+1
			}
		}
		return false
	}
	return true
}

func cut(s string) string {
	if r := []rune(s); len(r) > labelMax {
		return string(r[:labelMax-1]) + "…"
	}
	return s
}

func textW(s string) int { return int(float64(len([]rune(s)))*charW) + 8 }

func (seq *diagramSeq) measure() {
	half, right := boxW/2, boxW/2
	for i, it := range seq.items {
		if it.branches != nil {
			w := 0
			for k, b := range it.branches {
				b.measure()
				if k > 0 {
					w += branchGap
				}
				w += b.w
			}
			it.w, it.h = max(w, boxW), barH+2*rowGap+barH
			bh := 0
			for _, b := range it.branches {
				bh = max(bh, b.h)
			}
			it.h += bh
		} else {
			it.w, it.h = boxW, max(boxH, 18*(len(it.outs)+1))
		}
		half = max(half, it.w/2)
		right = max(right, it.w-it.w/2)
		for _, o := range it.outs {
			right = max(right, boxW/2+6+textW(o.label))
		}
		// The "otherwise" of a decision that falls through is written beside the arrow down.
		if it.step.Kind == definitions.KindDecision && it.fallsThrough(seq, i) {
			right = max(right, 8+textW("otherwise"))
		}
		seq.h += it.h
		if i > 0 {
			seq.h += rowGap
		}
	}
	lane := 0
	for _, it := range seq.items {
		for k := range it.outs {
			it.outs[k].lane = lane
			lane++
		}
	}
	seq.lanes = lane
	if seq.end && (len(seq.items) == 0 || seq.items[len(seq.items)-1].fallsThrough(seq, len(seq.items)-1)) {
		seq.finishUsed = true
		seq.h += rowGap + barH
	}
	seq.center, seq.right = half, right+10
	seq.w = half + seq.right + lane*laneGap + 6
}

func (seq *diagramSeq) place(x, y int) {
	seq.x, seq.y = x, y
	cx := x + seq.center
	for _, it := range seq.items {
		it.x, it.y = cx-it.w/2, y
		if it.branches != nil {
			bx := cx - it.w/2
			total := 0
			for k, b := range it.branches {
				if k > 0 {
					total += branchGap
				}
				total += b.w
			}
			bx += (it.w - total) / 2
			for _, b := range it.branches {
				b.place(bx, y+barH+rowGap)
				bx += b.w + branchGap
			}
		}
		y += it.h + rowGap
	}
	seq.finishY = y
}

// entry and exit are the item's top and bottom centres (a parallel's fork and join bars).
func (it *diagramItem) centre() int { return it.x + it.w/2 }

func (d *diagram) write() {
	seq := d.root
	w, h := seq.w+2*margin, seq.h+2*margin
	name := d.prog.Name
	if name == "" {
		name = d.prog.Key
	}
	what := "Flow diagram of " + name
	if d.states != nil {
		what = "This run's position in the flow of " + name
	}
	fmt.Fprintf(&d.b, `<figure class="diagram"><div class="diagram-scroll" tabindex="0" role="group" aria-label="Diagram (scrolls sideways when wide)"><svg xmlns="http://www.w3.org/2000/svg" class="flow" role="img" aria-labelledby="%[1]s-title %[1]s-desc" width="%[2]d" height="%[3]d" viewBox="0 0 %[2]d %[3]d">`, d.id, w, h)
	fmt.Fprintf(&d.b, `<title id="%s-title">%s</title>`, d.id, esc(what))
	fmt.Fprintf(&d.b, `<desc id="%s-desc">%s</desc>`, d.id, esc(d.describe()))
	fmt.Fprintf(&d.b, `<defs><marker id="%s-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="arrowhead" d="M0,0 L10,5 L0,10 z"/></marker></defs>`, d.id)
	d.words.WriteString(`<details class="flow-words"><summary>The flow in words</summary><ol>`)
	d.seq(seq)
	d.words.WriteString(`</ol></details>`)
	d.b.WriteString(`</svg></div>`)
	if d.states != nil {
		d.b.WriteString(`<figcaption class="legend"><span class="st-done">done</span> <span class="st-current">current</span> <span class="st-waiting">waiting</span> <span class="st-skipped">skipped</span> <span class="st-failed">failed</span> <span class="st-not-reached">not reached</span></figcaption>`)
	}
	d.b.WriteString(`</figure>`)
	d.b.WriteString(d.words.String())
}

func (d *diagram) describe() string {
	n := 0
	var count func([]definitions.Step)
	count = func(steps []definitions.Step) {
		for _, s := range steps {
			n++
			for _, b := range s.Branches {
				count(b.Steps)
			}
		}
	}
	count(d.prog.Steps)
	return fmt.Sprintf("%d steps, top to bottom; jumps are drawn on the right, labelled with their rules, and jumps back to earlier steps are dashed. The flow in words follows the diagram.", n)
}

func (d *diagram) arrow(path, class string) {
	fmt.Fprintf(&d.b, `<path class="edge%s" d="%s" marker-end="url(#%s-arrow)"/>`, class, path, d.id)
}

// seq draws a sequence: its rows, the arrows down between them and its jumps.
func (d *diagram) seq(seq *diagramSeq) {
	cx := seq.x + seq.center
	laneX := func(l int) int { return cx + seq.right + l*laneGap }
	for i, it := range seq.items {
		d.item(it)
		bottom := it.y + it.h
		if it.fallsThrough(seq, i) {
			next := seq.finishY
			if i+1 < len(seq.items) {
				next = seq.items[i+1].y
			}
			if i+1 < len(seq.items) || seq.finishUsed {
				d.arrow(fmt.Sprintf("M%d,%d V%d", cx, bottom, next-1), "")
				if it.step.Kind == definitions.KindDecision {
					fmt.Fprintf(&d.b, `<text class="edge-label" x="%d" y="%d">otherwise</text>`, cx+6, bottom+rowGap/2+4)
				}
			}
		}
		for k, o := range it.outs {
			// Jumps leave a box low on its right side, one under the other, and
			// arrive high on it, so that what leaves and what arrives stay apart.
			y := it.y + 18 + k*18
			x0 := it.x + it.w
			if it.branches != nil { // a parallel step's jumps leave from its join
				y, x0 = it.y+it.h-barH/2, it.x+it.w
			}
			t := seq.items[o.to]
			ty := t.y + 9
			if t.branches != nil {
				ty = t.y + barH/2
			}
			class := " jump"
			if o.back {
				class = " back"
			}
			fmt.Fprintf(&d.b, `<g class="route" data-from="%s" data-to="%s"><title>%s → %s: %s</title>`,
				esc(it.step.ID), esc(t.step.ID), esc(it.step.ID), esc(t.step.ID), esc(o.rule))
			d.arrow(fmt.Sprintf("M%d,%d H%d V%d H%d", x0, y, laneX(o.lane), ty, t.x+t.w+1), class)
			fmt.Fprintf(&d.b, `<text class="edge-label" x="%d" y="%d">%s</text></g>`, x0+6, y-4, esc(o.label))
		}
	}
	if seq.finishUsed {
		fmt.Fprintf(&d.b, `<g class="node finish"><rect x="%d" y="%d" width="%d" height="%d" rx="%d"/><text x="%d" y="%d" text-anchor="middle">run completes</text></g>`,
			cx-boxW/4, seq.finishY, boxW/2, barH, barH/2, cx, seq.finishY+barH/2+4)
	}
}

var kindWords = map[definitions.StepKind]string{
	definitions.KindTask: "task", definitions.KindApproval: "approval", definitions.KindDecision: "decision",
	definitions.KindParallel: "parallel", definitions.KindWait: "wait", definitions.KindHTTP: "http call",
	definitions.KindNotify: "notify", definitions.KindSet: "set data",
	definitions.KindSubprocess: "subprocess", definitions.KindEnd: "end",
}

// detail is the second line of a step's box.
func detail(s *definitions.Step) string {
	switch s.Kind {
	case definitions.KindEnd:
		if s.Outcome != "" {
			return "outcome " + s.Outcome
		}
		return "the run ends"
	case definitions.KindSubprocess:
		if s.Subprocess != nil {
			return "runs " + s.Subprocess.Definition
		}
	case definitions.KindWait:
		if w := s.Wait; w != nil {
			switch {
			case w.Event != "":
				return "for event " + w.Event
			case w.For != nil:
				return "for " + w.For.String()
			case w.Until != "":
				return "until " + w.Until
			}
		}
	case definitions.KindDecision:
		if len(s.Rules) == 1 {
			return "1 rule and a default"
		}
		return fmt.Sprintf("%d rules and a default", len(s.Rules))
	case definitions.KindHTTP:
		if s.HTTP != nil {
			return s.HTTP.Method + " " + s.HTTP.URL
		}
	}
	if s.Title != "" {
		return s.Title
	}
	if s.Assignee != "" {
		return "for " + s.Assignee
	}
	return ""
}

func (d *diagram) stateOf(id string) string {
	if d.states == nil {
		return ""
	}
	if st, ok := d.states[id]; ok {
		return st
	}
	return stateNotReached
}

// item draws one row and writes it in words.
func (d *diagram) item(it *diagramItem) {
	s := it.step
	st := d.stateOf(s.ID)
	class := "node k-" + string(s.Kind)
	if st != "" {
		class += " st-" + st
	}
	if s.When != "" {
		class += " guarded"
	}
	tip := kindWords[s.Kind] + " " + s.ID
	if s.When != "" {
		tip += ", only when " + s.When
	}
	if st != "" {
		tip += " (" + strings.ReplaceAll(st, "-", " ") + ")"
	}
	fmt.Fprintf(&d.b, `<g class="%s" data-step="%s"><title>%s</title>`, class, esc(s.ID), esc(tip))
	d.words.WriteString(`<li>` + esc(tip))
	if t := detail(s); t != "" {
		d.words.WriteString(": " + esc(t))
	}
	if it.branches != nil {
		join := "all branches"
		switch s.Join {
		case "any":
			join = "the first branch"
		case "count":
			join = fmt.Sprintf("%d branches", s.JoinCount)
		}
		fmt.Fprintf(&d.b, `<rect class="bar" x="%d" y="%d" width="%d" height="%d" rx="4"/><text x="%d" y="%d" text-anchor="middle"><tspan class="kind">parallel</tspan> <tspan class="id">%s</tspan></text>`,
			it.x, it.y, it.w, barH, it.centre(), it.y+barH/2+4, esc(s.ID))
		jy := it.y + it.h - barH
		fmt.Fprintf(&d.b, `<rect class="bar" x="%d" y="%d" width="%d" height="%d" rx="4"/><text x="%d" y="%d" text-anchor="middle">join: waits for %s</text></g>`,
			it.x, jy, it.w, barH, it.centre(), jy+barH/2+4, esc(join))
		d.words.WriteString(", in parallel, waiting for " + esc(join) + ":<ul>")
		for k, b := range it.branches {
			bc := b.x + b.center
			d.arrow(fmt.Sprintf("M%d,%d V%d", bc, it.y+barH, b.y-1), "")
			end := b.y
			if n := len(b.items); n > 0 {
				last := b.items[n-1]
				end = last.y + last.h
				if !last.fallsThrough(b, n-1) {
					end = -1
				}
			}
			if end >= 0 {
				d.arrow(fmt.Sprintf("M%d,%d V%d", bc, end, jy-1), "")
			}
			fmt.Fprintf(&d.words, `<li>branch %s<ol>`, esc(s.Branches[k].ID))
			if w := s.Branches[k].When; w != "" {
				fmt.Fprintf(&d.b, `<text class="edge-label" x="%d" y="%d">if %s</text>`, bc+6, it.y+barH+rowGap/2+4, esc(cut(w)))
			}
			d.seq(b)
			d.words.WriteString(`</ol></li>`)
		}
		d.words.WriteString("</ul>")
	} else {
		switch s.Kind {
		case definitions.KindDecision:
			x, y, w, h := it.x, it.y, it.w, it.h
			fmt.Fprintf(&d.b, `<polygon class="shape" points="%d,%d %d,%d %d,%d %d,%d %d,%d %d,%d"/>`,
				x+14, y, x+w-14, y, x+w, y+h/2, x+w-14, y+h, x+14, y+h, x, y+h/2)
		case definitions.KindEnd:
			fmt.Fprintf(&d.b, `<rect class="shape" x="%d" y="%d" width="%d" height="%d" rx="%d"/>`, it.x, it.y, it.w, it.h, it.h/2)
		default:
			fmt.Fprintf(&d.b, `<rect class="shape" x="%d" y="%d" width="%d" height="%d" rx="6"/>`, it.x, it.y, it.w, it.h)
			if s.Kind == definitions.KindSubprocess {
				fmt.Fprintf(&d.b, `<path class="inner" d="M%d,%d V%d M%d,%d V%d"/>`, it.x+8, it.y, it.y+it.h, it.x+it.w-8, it.y, it.y+it.h)
			}
		}
		cy := it.y + it.h/2
		fmt.Fprintf(&d.b, `<text x="%d" y="%d" text-anchor="middle"><tspan class="kind">%s</tspan> <tspan class="id">%s</tspan></text>`,
			it.centre(), cy-4, esc(kindWords[s.Kind]), esc(s.ID))
		if t := detail(s); t != "" {
			fmt.Fprintf(&d.b, `<text class="detail" x="%d" y="%d" text-anchor="middle">%s</text>`, it.centre(), cy+13, esc(cutTo(t, 34)))
		}
		if st != "" {
			fmt.Fprintf(&d.b, `<text class="state" x="%d" y="%d">%s</text>`, it.x+2, it.y-4, esc(strings.ReplaceAll(st, "-", " ")))
		}
		d.b.WriteString(`</g>`)
	}
	if len(it.outs) > 0 {
		d.words.WriteString("; goes to ")
		for k, o := range it.outs {
			if k > 0 {
				d.words.WriteString(", ")
			}
			d.words.WriteString(esc(o.rule) + " → " + esc(o.toID))
			if o.back {
				d.words.WriteString(" (back)")
			}
		}
	}
	d.words.WriteString(`</li>`)
}

func cutTo(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func esc(s string) string { return template.HTMLEscapeString(s) }
