package definitions

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// everyKind has one step of each kind; the checks at its end read every key
// each kind declares in steps.<id>.data.
const everyKind = `
key: every-kind
steps:
  - id: t
    assignee: requester
    form:
      - {id: n, type: number}
      - {id: d, type: date}
  - {id: a, kind: approval, assignee: requester}
  - id: d
    kind: decision
    rules: [{when: "true", goto: p}]
    default: p
  - id: p
    kind: parallel
    branches: [{id: one, steps: [{id: inner, kind: set, values: {x: "1"}}]}]
  - {id: w, kind: wait, event: signed, form: [{id: by, type: user}]}
  - id: call
    kind: http
    url: https://example.com
    save: {po: response.body.po}
    on_failure: {goto: n}
  - id: n
    kind: notify
    message: hi
    to: requester
    on_failure: {goto: s}
  - {id: s, kind: set, values: {total: "1 + 1"}}
  - {id: sub, kind: subprocess, definition: child}
  - id: checks
    kind: set
    values:
      t: steps.t.data.n * 2.0 + double(steps.t.data.d.getFullYear())
      a: steps.a.data.comment + ""
      d: '[steps.d.data.rule, steps.d.data.when + steps.d.data.goto]'
      p: steps.p.data.completed_branches.exists(b, b == "one")
      w: steps.w.data.by + ""
      call: steps.call.data.status >= 200.0 && steps.call.data.error == "" && steps.call.data.po != null
      n: steps.n.data.error + ""
      s: steps.s.data.total
      sub: steps.sub.data.run_id
  - {id: e, kind: end, outputs: {x: steps.checks.data.t}}
`

// TestEveryKindDeclaresItsData compiles expressions over every key each kind
// declares (issue 13 item 7: steps.<id>.data.status of an http step was
// refused), and refuses a wrong type or an undeclared key.
func TestEveryKindDeclaresItsData(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, everyKind)
	seen := map[StepKind]bool{}
	walkSteps(p.Steps, func(s *Step) { seen[s.Kind] = true })
	for _, k := range StepKinds {
		require.True(t, seen[k], "everyKind has no %s step", k)
	}
	for expr, want := range map[string]string{
		`steps.call.data.status == "200"`:     "found no matching overload for '_==_' applied to '(double, string)'",
		`steps.n.data.status`:                 "undefined field 'status'",
		`steps.p.data.completed_branches + 1`: "found no matching overload for '_+_' applied to '(list(string), int)'",
	} {
		src := strings.Replace(everyKind, `s: steps.s.data.total`, `s: '`+expr+`'`, 1)
		_, err := Compile([]byte(src))
		require.ErrorContains(t, err, want, expr)
	}
}

func TestStepDataProblems(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, everyKind)
	e := NewEngine()
	require.Empty(t, e.StepDataProblems(p, "call", map[string]any{"status": 201.0, "po": map[string]any{"n": 1.0}}))
	require.Empty(t, e.StepDataProblems(p, "t", map[string]any{"n": 3.0, "d": "2027-01-04"}))
	require.Empty(t, e.StepDataProblems(p, "sub", map[string]any{"run_id": "x", "anything": []any{1.0}}))
	require.Equal(t, []string{
		"http call stores data.code, which its kind does not declare",
		"http call stores data.status as string, declared double",
	}, e.StepDataProblems(p, "call", map[string]any{"status": "201", "code": 201.0}))
	require.Equal(t, []string{"task t stores data.d as string, declared google.protobuf.Timestamp"},
		e.StepDataProblems(p, "t", map[string]any{"d": "not a date"}))
	require.Equal(t, []string{"parallel p stores data.completed_branches as []interface {}, declared list(string)"},
		e.StepDataProblems(p, "p", map[string]any{"completed_branches": []any{1.0}}))
}

const callsChild = `key: parent
steps:
  - id: child
    kind: subprocess
    definition: vendor-onboarding
    version: 3
  - {id: again, kind: subprocess, definition: parent}
`

// TestSubprocessTargets is issue 13 item 3 at publish: a subprocess step
// whose definition is not published is refused at its line and column.
func TestSubprocessTargets(t *testing.T) {
	t.Parallel()
	compile := func(known map[string]int) []string {
		_, err := Compile([]byte(callsChild), KnownDefinitions(known))
		if err == nil {
			return nil
		}
		return strings.Split(err.Error(), "\n")
	}
	require.Equal(t, []string{`5:17: steps[0].definition: unknown definition "vendor-onboarding": publish it before a definition that starts it`},
		compile(map[string]int{"purchase-approval": 2}))
	require.Equal(t, []string{`5:17: steps[0].definition: unknown definition "vendor-onboarding" (did you mean "vendor-onboardin"?): publish it before a definition that starts it`},
		compile(map[string]int{"vendor-onboardin": 1}))
	require.Equal(t, []string{`6:14: steps[0].version: definition "vendor-onboarding" has no version 3 (the latest is 2)`},
		compile(map[string]int{"vendor-onboarding": 2}))
	require.Nil(t, compile(map[string]int{"vendor-onboarding": 3}))
	require.Nil(t, compile(map[string]int{"vendor-onboarding": 0}), "known, versions unknown: any version")
	_, err := Compile([]byte(callsChild))
	require.NoError(t, err, "without KnownDefinitions targets are not checked")
}
