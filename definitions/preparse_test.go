package definitions

import (
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

func TestExprCandidates(t *testing.T) {
	t.Parallel()
	src := `key: k
summary: "Big: {{ inputs.name }} and {{ size(inputs.tags) }}"
business_key: inputs.vendor   # a comment
roles:
  boss: {manager_of: run.started_by}
  team: {expression: 'inputs.team + ''-'' + "x"'}
steps:
  - {id: a, when: "inputs.amount > 5", assignee: boss}
  - id: b
    when: steps.a.outcome == "done"
    title: 'Quote {{ "}}" }} and ''{{ inputs.x }}'''
    description: |
      {{ inputs.in_block }}
    form:
      - {id: ok, type: boolean, visible_when: "!form.ok"}
      - {id: n, validate: [{expr: form.n > 1, message: m}]}
      - {id: esc, visible_when: "form.a == \"x\""}
    until: >
      folded
      expression
`
	require.Equal(t, []string{
		`inputs.name`, `size(inputs.tags)`, `inputs.vendor`, `run.started_by`,
		`inputs.team + '-' + "x"`, `inputs.amount > 5`, `steps.a.outcome == "done"`,
		`"}}"`, `inputs.x`, `inputs.in_block`, `!form.ok`, `form.n > 1`,
	}, exprCandidates([]byte(src)))
}

// TestPreparseParsesAlike checks what parsing ahead relies on: every
// environment a definition's expressions are checked or run in parses
// exactly as baseEnv does (same AST, same source positions).
func TestPreparseParsesAlike(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, engineSrc)
	base, err := baseEnv()
	require.NoError(t, err)
	def, err := newDefEnv(p)
	require.NoError(t, err)
	rt, err := def.runtimeEnv()
	require.NoError(t, err)
	trigger, err := triggerEnv()
	require.NoError(t, err)
	form, err := def.run.Extend(cel.Variable("form", def.prov.formType("Form", p.Steps[0].Form)))
	require.NoError(t, err)
	exprs := []string{
		`inputs.amount > 5000 && (inputs.name == "eng" || run.version == 3)`,
		`inputs.items.map(i, i.qty).exists(q, q > 2) || inputs.tags.all(t, t in ["a", "b"])`,
		`inputs.tags.sortBy(t, t).filter(t, t != "").exists_one(t, t == "a")`,
		`has(inputs.name) ? inputs.?name.orValue("x") : response.body.?a.optMap(v, v.b).orValue(1)`,
		`[1, 2, 3][0] + {"a": 1}["a"] - lists.range(3).size()`,
		"inputs.name.\n  upperAscii()  +\n \"é\"",
		`math.greatest(1, 2) > 1 && sets.contains([1], [1]) && date("2027-01-04") < now`,
		`inputs.amount +`,
	}
	for _, expr := range exprs {
		want, wantErr := parsedExpr(t, base, expr)
		for _, env := range []*cel.Env{def.run, rt, trigger, form} {
			got, gotErr := parsedExpr(t, env, expr)
			require.Equal(t, wantErr, gotErr, expr)
			require.True(t, proto.Equal(want, got), expr)
		}
	}
}

// parsedExpr parses expr in env: the AST with its source positions, or the error.
func parsedExpr(t *testing.T, env *cel.Env, expr string) (proto.Message, string) {
	t.Helper()
	ast, iss := env.Parse(expr)
	if iss.Err() != nil {
		return nil, iss.Err().Error()
	}
	pe, err := cel.AstToParsedExpr(ast)
	require.NoError(t, err)
	return pe, ""
}
