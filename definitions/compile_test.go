package definitions

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func mustCompile(t testing.TB, src string) *Program {
	t.Helper()
	p, err := Compile([]byte(src))
	if err != nil {
		t.Fatalf("compile: %s", err.(*ErrorList).Format("test.yaml", []byte(src)))
	}
	return p
}

// compileErrors compiles src and returns its errors rendered "LINE:COL: PATH: MESSAGE".
func compileErrors(t *testing.T, src string) []string {
	t.Helper()
	p, err := Compile([]byte(src))
	require.Error(t, err)
	require.Nil(t, p)
	list, ok := err.(*ErrorList)
	require.True(t, ok, "want *ErrorList, got %T", err)
	out := make([]string, len(list.Errors))
	for i, e := range list.Errors {
		out[i] = e.Error()
	}
	return out
}

func TestCompileTwoTasks(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("testdata/valid/two-tasks.yaml")
	require.NoError(t, err)
	p, err := Compile(src)
	require.NoError(t, err)

	require.Equal(t, "two-tasks", p.Key)
	require.Equal(t, "Two tasks", p.Name)
	require.Equal(t, "Request: {{ inputs.title }}", p.Summary)
	require.Len(t, p.Steps, 2)
	require.Equal(t, KindTask, p.Steps[0].Kind)
	require.Equal(t, "worker", p.Steps[0].Assignee)
	require.Equal(t, []string{"completed"}, p.Steps[0].Outcomes)
	require.Equal(t, "alice", p.Role("worker").User)
	require.Equal(t, "run.started_by", p.Role(RequesterRole).Expression)
	require.Nil(t, p.Role("nobody"))

	form := p.Step("request").Form
	require.Len(t, form, 4)
	require.Equal(t, Field{ID: "summary", Label: "Summary", Type: TypeText, Required: true, Max: ptr(200.0)}, form[0])
	require.Equal(t, TypeNumber, form[1].Type)
	require.Equal(t, 0.0, *form[1].Min)
	require.Equal(t, TypeBoolean, form[2].Type)
	require.False(t, form[3].Required)
	require.Equal(t, "steps.request.data.amount > 0", p.Step("review").When)
	require.Nil(t, p.Step("missing"))
}

func ptr[T any](v T) *T { return &v }

func TestCompileHash(t *testing.T) {
	t.Parallel()
	src := "key: a\nsteps:\n  - id: s\n    assignee: requester\n"
	a, b := mustCompile(t, src), mustCompile(t, src)
	require.Equal(t, a.Hash, b.Hash)
	require.True(t, strings.HasPrefix(a.Hash, "sha256:"))
	require.Len(t, a.Hash, len("sha256:")+64)
	c := mustCompile(t, src+"# changed\n")
	require.NotEqual(t, a.Hash, c.Hash)
}

func TestCompileDefaults(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `
key: defaults
inputs:
  - id: start_date
    type: date
steps:
  - id: fill_in
    assignee: requester
`)
	require.Equal(t, "Defaults", p.Name)
	require.Equal(t, "Start date", p.Inputs[0].Label)
	require.Equal(t, "Fill in", p.Steps[0].Title)
	require.Equal(t, KindTask, p.Steps[0].Kind)
}

func TestCompileCollectsEveryError(t *testing.T) {
	t.Parallel()
	got := compileErrors(t, `key: x
inputs:
  - id: amount
    type: number
steps:
  - id: a
    assignee: nobody
    titel: x
    when: inputs.amount > "5"
  - id: b
    assignee: requester
    when: inputs.nope == 1
`)
	require.Equal(t, []string{
		`7:15: steps[0].assignee: unknown role "nobody"; expected one of: requester`,
		`8:5: steps[0].titel: unknown key "titel" (did you mean "title"?)`,
		`9:25: steps[0].when: found no matching overload for '_>_' applied to '(double, string)'`,
		`12:17: steps[1].when: undefined field 'nope'`,
	}, got)
}

func TestCompileExpressionPositions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		want       string
	}{
		{"plain", "    when: inputs.x", "8:17: steps[0].when: undefined field 'x'"},
		{"double quoted", `    when: "inputs.x"`, "8:18: steps[0].when: undefined field 'x'"},
		{"single quoted", `    when: 'inputs.x'`, "8:18: steps[0].when: undefined field 'x'"},
		{"block", "    when: |\n      true &&\n        inputs.x", "10:15: steps[0].when: undefined field 'x'"},
		{"template", `    title: "Hi {{ inputs.x }}"`, "8:25: steps[0].title: undefined field 'x'"},
		{"second template", `    title: "{{ inputs.n }} {{ inputs.x }}"`, "8:37: steps[0].title: undefined field 'x'"},
		{"not bool", "    when: inputs.n", "8:11: steps[0].when: expression must yield true or false (a bool), but yields string"},
		{"syntax", "    when: inputs.n ==", "8:22: steps[0].when: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}"},
		{"unclosed template", `    title: "Hi {{ inputs.n"`, "8:16: steps[0].title: unclosed {{: add }} after the expression"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := "key: x\ninputs:\n  - id: n\nsteps:\n  - id: a\n    kind: task\n    assignee: requester\n" + tt.yaml + "\n"
			require.Equal(t, []string{tt.want}, compileErrors(t, src))
		})
	}
}

func TestCompileNumericComparisons(t *testing.T) {
	t.Parallel()
	mustCompile(t, `
key: numbers
inputs:
  - {id: amount, type: number}
steps:
  - id: a
    assignee: requester
    when: inputs.amount > 5000 && inputs.amount != 7 && inputs.amount in [1, 2.5] && inputs.amount * 2 == 3
`)
}

func TestCompileNumericLiteralMismatch(t *testing.T) {
	t.Parallel()
	got := compileErrors(t, `key: x
inputs:
  - {id: name}
steps:
  - id: a
    assignee: requester
    when: inputs.name == 5
`)
	require.Equal(t, []string{`7:26: steps[0].when: found no matching overload for '_==_' applied to '(string, int)'`}, got)
}

func TestErrorListFormat(t *testing.T) {
	t.Parallel()
	src := []byte("key: x\nsteps:\n  - id: a\n    asignee: requester\n")
	_, err := Compile(src)
	require.Error(t, err)
	require.Equal(t, `f.yaml:3:5: steps[0]: a task step needs an assignee (a role name)
 |   - id: a
 |     ^
f.yaml:4:5: steps[0].asignee: unknown key "asignee" (did you mean "assignee"?)
 |     asignee: requester
 |     ^
`, err.(*ErrorList).Format("f.yaml", src))
	require.Equal(t, "1:2: m", (&Error{Line: 1, Column: 2, Message: "m"}).Error())
}

func TestCompileDuplicateKeyInLargeMapping(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("key: big-step\nsteps:\n  - id: a\n    assignee: requester\n")
	for i := range 20 {
		fmt.Fprintf(&b, "    x%d: 1\n", i)
	}
	b.WriteString("    x3: 2\n")
	_, err := Compile([]byte(b.String()))
	require.Error(t, err)
	require.Contains(t, err.Error(), `25:5: steps[0].x3: duplicate key "x3"`)
	require.Equal(t, 20, strings.Count(err.Error(), "unknown key"), "each distinct unknown key once, the duplicate not")
}
