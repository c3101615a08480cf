package web

import (
	"encoding/xml"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/definitions/examples"
)

// compiledExamples compiles every shipped example.
func compiledExamples(t testing.TB) map[string]*definitions.Program {
	t.Helper()
	names, err := fs.Glob(examples.FS, "*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	out := map[string]*definitions.Program{}
	for _, n := range names {
		src, err := examples.FS.ReadFile(n)
		require.NoError(t, err)
		p, err := definitions.Compile(src)
		require.NoError(t, err, n)
		out[n] = p
	}
	return out
}

func stepIDs(steps []definitions.Step) []string {
	var ids []string
	for _, s := range steps {
		ids = append(ids, s.ID)
		for _, b := range s.Branches {
			ids = append(ids, stepIDs(b.Steps)...)
		}
	}
	return ids
}

var dataStep = regexp.MustCompile(`<g class="node[^"]*" data-step="([^"]+)"`)

// TestDiagramOfEveryExample: each shipped example's diagram is well-formed SVG with a
// node for every step id, once, and a dashed back edge for every jump to an earlier
// step (send-back loops, `next` jumps back).
func TestDiagramOfEveryExample(t *testing.T) {
	for name, p := range compiledExamples(t) {
		t.Run(name, func(t *testing.T) {
			out := string(flowDiagram(p, nil, "d"))
			svg := out[strings.Index(out, "<svg") : strings.Index(out, "</svg>")+len("</svg>")]
			require.NoError(t, xml.Unmarshal([]byte(svg), new(struct{})), "well-formed SVG")
			var got []string
			for _, m := range dataStep.FindAllStringSubmatch(svg, -1) {
				got = append(got, m[1])
			}
			require.ElementsMatch(t, stepIDs(p.Steps), got)
			backs := strings.Count(svg, `class="edge back"`)
			require.Equal(t, countBackJumps(p.Steps), backs)
			require.Contains(t, svg, `role="img"`)
			require.Contains(t, out, `The flow in words`)
		})
	}
}

// countBackJumps counts the jumps to the same or an earlier step of their sequence.
func countBackJumps(steps []definitions.Step) int {
	at := map[string]int{}
	for i, s := range steps {
		at[s.ID] = i
	}
	n := 0
	for i, s := range steps {
		targets := []string{s.SendBackTo}
		if s.Next != "" && at[s.Next] != i+1 {
			targets = append(targets, s.Next)
		}
		for _, r := range s.Rules {
			targets = append(targets, r.Goto)
		}
		if s.Kind == definitions.KindDecision {
			targets = append(targets, s.Default)
		}
		if s.Wait != nil {
			targets = append(targets, s.Wait.OnTimeout)
		}
		if s.OnFailure != nil {
			targets = append(targets, s.OnFailure.Goto)
		}
		for _, to := range targets {
			if j, ok := at[to]; ok && to != "" && j <= i {
				n++
			}
		}
		for _, b := range s.Branches {
			n += countBackJumps(b.Steps)
		}
	}
	return n
}

// TestDiagramPurchaseApproval checks the rules as edge labels and the rework loop of
// the purchase approval, and a run's marks.
func TestDiagramPurchaseApproval(t *testing.T) {
	p := compiledExamples(t)["purchase-approval.yaml"]
	out := string(flowDiagram(p, nil, "d"))
	require.Contains(t, out, `>inputs.amount &gt;= 50000</text>`)
	require.Regexp(t, `data-from="revise" data-to="manager_approval"><title>[^<]*</title><path class="edge back"`, out)
	require.Regexp(t, `data-from="manager_approval" data-to="revise"><title>[^<]*rejected: send back</title><path class="edge jump"`, out)
	require.NotContains(t, out, "run completes", "tell_requester's next goes to approved: nothing falls off the end")
	run := string(flowDiagram(p, map[string]string{"route": stateDone, "manager_approval": stateCurrent}, "r"))
	require.Contains(t, run, `class="node k-decision st-done" data-step="route"`)
	require.Contains(t, run, `class="node k-approval st-current" data-step="manager_approval"`)
	require.Contains(t, run, `class="node k-end st-not-reached" data-step="approved"`)
}

// TestDiagramEscapes: ids are plain, but titles and rules come from the author.
func TestDiagramEscapes(t *testing.T) {
	p := &definitions.Program{Key: "x", Name: `<b>"x"</b>`, Steps: []definitions.Step{
		{ID: "a", Kind: definitions.KindTask, Title: `<script>alert(1)</script>`},
		{ID: "b", Kind: definitions.KindDecision, Rules: []definitions.Route{{When: `inputs.x == "<i>"`, Goto: "a"}}, Default: "c"},
		{ID: "c", Kind: definitions.KindEnd},
	}}
	out := string(flowDiagram(p, nil, "d"))
	require.NotContains(t, out, "<script>")
	require.NotContains(t, out, `"<i>"`)
	require.Contains(t, out, "&lt;script&gt;")
}

// generatedSteps is a definition of n tasks with a decision every tenth step that
// loops back, like the language's 500-step benchmark.
func generatedSteps(n int) *definitions.Program {
	p := &definitions.Program{Key: "big"}
	for i := range n {
		id := fmt.Sprintf("s%d", i)
		if i%10 == 9 && i < n-1 {
			p.Steps = append(p.Steps, definitions.Step{ID: id, Kind: definitions.KindDecision,
				Rules: []definitions.Route{{When: fmt.Sprintf("inputs.amount > %d", i), Goto: fmt.Sprintf("s%d", i-5)}}, Default: fmt.Sprintf("s%d", i+1)})
			continue
		}
		p.Steps = append(p.Steps, definitions.Step{ID: id, Kind: definitions.KindTask, Title: "Step " + id, Assignee: "team"})
	}
	return p
}

func TestDiagram500Steps(t *testing.T) {
	p := generatedSteps(500)
	start := time.Now()
	out := string(flowDiagram(p, nil, "d"))
	t.Logf("500 steps: %d bytes in %s", len(out), time.Since(start))
	require.Len(t, dataStep.FindAllString(out, -1), 500)
	require.Equal(t, 49, strings.Count(out, `class="edge back"`))
}

func BenchmarkDiagram(b *testing.B) {
	progs := compiledExamples(b)
	progs["500-steps"] = generatedSteps(500)
	for name, p := range progs {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				_ = flowDiagram(p, nil, "d")
			}
		})
	}
}
