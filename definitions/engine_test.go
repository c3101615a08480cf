package definitions

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const engineSrc = `
key: engine
time_zone: Europe/Berlin
inputs:
  - {id: name, type: text}
  - {id: amount, type: number}
  - {id: start_date, type: date}
  - {id: tags, type: multi_select, options: [a, b]}
  - id: items
    type: table
    fields:
      - {id: qty, type: number}
steps:
  - id: review
    assignee: requester
    form:
      - {id: ok, type: boolean}
  - id: done
    assignee: requester
`

var testNow = time.Date(2027, 1, 4, 9, 30, 0, 0, time.UTC)

func engineVars() Vars {
	return Vars{
		Inputs: map[string]any{"name": "Jane", "amount": 6000.0, "start_date": "2027-01-11",
			"tags": []any{"a"}, "items": []any{map[string]any{"qty": 2.0}, map[string]any{"qty": 3}}},
		Steps: map[string]StepVars{"review": {Data: map[string]any{"ok": true}, Outcome: "completed",
			CompletedBy: "bob", CompletedAt: testNow, Status: "completed"}},
		Run: RunVars{ID: "engine-1", StartedBy: "alice", Definition: "engine", StartedAt: testNow, Version: 3},
		Now: testNow,
	}
}

func TestEngineEval(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, engineSrc)
	e := NewEngine()
	tests := []struct {
		expr string
		want any
	}{
		{`inputs.name`, "Jane"},
		{`inputs.amount > 5000`, true},
		{`inputs.amount == 6000`, true},
		{`inputs.amount in [1, 6000]`, true},
		{`inputs.amount / 4`, 1500.0},
		{`size(inputs.tags)`, 1.0},
		{`inputs.items.map(i, i.qty)`, []any{2.0, 3.0}},
		{`inputs.start_date > now`, true},
		{`inputs.start_date`, time.Date(2027, 1, 11, 0, 0, 0, 0, mustLoc(t, "Europe/Berlin"))},
		{`steps.review.data.ok && steps.review.outcome == "completed"`, true},
		{`steps.review.completed_by`, "bob"},
		{`run.started_by + "/" + run.definition`, "alice/engine"},
		{`run.version == 3`, true},
		{`has(inputs.tags)`, true},
		{`inputs.amount * 2 + 1`, 12001.0},
		{`size(inputs.tags) + 1 == 2`, true},
		{`{"a": inputs.amount}`, map[string]any{"a": 6000.0}},
		{`inputs.?name.orValue("x")`, "Jane"},
		{`"x".upperAscii()`, "X"},
		{`date("2027-01-04") < now`, true},
		{`null`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := e.Eval(p, tt.expr, engineVars())
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestEngineMissingOptionalInput(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, engineSrc)
	v := engineVars()
	delete(v.Inputs, "name")
	got, err := NewEngine().Eval(p, `has(inputs.name) ? inputs.name : inputs.?name.orValue("nobody")`, v)
	require.NoError(t, err)
	require.Equal(t, "nobody", got)
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func TestEngineEvalErrors(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, engineSrc)
	e := NewEngine()
	_, err := e.Eval(p, `inputs.nope`, engineVars())
	require.ErrorContains(t, err, "undefined field 'nope'")
	_, err = e.Eval(p, `inputs.name +`, engineVars())
	require.ErrorContains(t, err, "Syntax error")
	_, err = e.EvalBool(p, `inputs.name`, engineVars())
	require.ErrorContains(t, err, "want true or false")
	_, err = e.Eval(p, `steps.done.outcome == "" && steps.done.status == "" && !has(steps.done.data.x)`, engineVars()) // not run yet
	require.ErrorContains(t, err, "undefined field 'x'")
	got, err := e.Eval(p, `steps.done.outcome == "" && steps.done.status == "" && steps.done.completed_by == ""`, engineVars())
	require.NoError(t, err)
	require.Equal(t, true, got)
	ok, err := e.EvalBool(p, "", engineVars())
	require.NoError(t, err)
	require.True(t, ok)
}

func TestEngineRender(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, engineSrc)
	e := NewEngine()
	tests := []struct{ tmpl, want string }{
		{"plain", "plain"},
		{"Hello {{ inputs.name }}!", "Hello Jane!"},
		{"{{inputs.amount}} EUR", "6000 EUR"},
		{"{{ inputs.amount / 7 > 1 }}", "true"},
		{"starts {{ inputs.start_date }}", "starts 2027-01-11"},
		{"at {{ now }}", "at 2027-01-04T10:30:00+01:00"},
		{"tags: {{ inputs.tags }}", "tags: a"},
		{"{{ null }}|{{ 1.5 }}", "|1.5"},
		{`{{ "}}" }}`, "}}"},
	}
	for _, tt := range tests {
		got, err := e.Render(p, tt.tmpl, engineVars())
		require.NoError(t, err, tt.tmpl)
		require.Equal(t, tt.want, got, tt.tmpl)
	}
	_, err := e.Render(p, "{{ inputs.nope }}", engineVars())
	require.ErrorContains(t, err, "undefined field")
	_, err = e.Render(p, "{{ unclosed", engineVars())
	require.ErrorContains(t, err, "unclosed")
}

func TestEngineCostLimit(t *testing.T) {
	p := mustCompile(t, engineSrc)
	e := NewEngine()
	hostile := `[0,1,2,3,4,5,6,7,8,9].map(a, [0,1,2,3,4,5,6,7,8,9].map(b, [0,1,2,3,4,5,6,7,8,9].map(c,
		[0,1,2,3,4,5,6,7,8,9].map(d, [0,1,2,3,4,5,6,7,8,9].map(f, [0,1,2,3,4,5,6,7,8,9].map(g, a+b+c+d+f+g))))))`
	c, _ := e.compile(p, hostile, false)
	require.NoError(t, c.err)
	// The bound is CPU time, and the machine is shared: take the fastest of five tries,
	// so a test run that is merely descheduled does not fail.
	var (
		err     error
		elapsed = time.Hour
	)
	for range 5 {
		start := time.Now()
		_, err = e.Eval(p, hostile, engineVars())
		elapsed = min(elapsed, time.Since(start))
	}
	t.Logf("hostile expression stopped after %v", elapsed)
	if !raceEnabled {
		require.Less(t, elapsed, 50*time.Millisecond)
	}
	require.Error(t, err)
	require.True(t, IsCostLimitError(err), err.Error())
}

func TestEngineCachesPrograms(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, engineSrc)
	e := NewEngine()
	a, _ := e.compile(p, "inputs.amount > 1", false)
	b, _ := e.compile(p, "inputs.amount > 1", false)
	require.Same(t, a, b)
	q := *p
	q.Hash = "sha256:other"
	c, _ := e.compile(&q, "inputs.amount > 1", false)
	require.NotSame(t, a, c)
}

func TestEngineConcurrent(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, engineSrc)
	e := NewEngine()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				v := engineVars()
				v.Inputs["amount"] = float64(i*100 + j)
				got, err := e.Eval(p, fmt.Sprintf("inputs.amount + %d", j), v)
				require.NoError(t, err)
				require.Equal(t, float64(i*100+2*j), got)
			}
		}()
	}
	wg.Wait()
}
