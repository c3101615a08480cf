package definitions

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/stretchr/testify/require"
)

// numbersSrc declares a number of every origin; the check step's form holds
// the rules under test (its field f is the number form field).
const numbersSrc = `
key: numbers
inputs:
  - {id: n, type: number}
  - {id: m, type: number}
  - {id: tags, type: multi_select, options: [a, b]}
steps:
  - id: t
    assignee: requester
    form: [{id: x, type: number}]
  - {id: s, kind: set, values: {y: "7.5"}}
  - id: check
    assignee: requester
    form:
      - id: f
        type: number
        validate:
RULES
`

// numberOperand is one way a number appears in an expression, with its value
// in numbersVars.
type numberOperand struct {
	text  string
	value float64
	isInt bool // a CEL int at run time
	dyn   bool // of a type publish cannot know
}

var numberOperands = []numberOperand{
	{text: "3", value: 3, isInt: true},                 // int literal
	{text: "2.5", value: 2.5},                          // double literal
	{text: "inputs.n", value: 4},                       // number input
	{text: "form.f", value: 5},                         // number form field
	{text: "steps.t.data.x", value: 6},                 // step data number, declared by a form
	{text: "steps.s.data.y", value: 7.5, dyn: true},    // step data number, dyn (a set value)
	{text: "size(inputs.tags)", value: 2, isInt: true}, // an int from a function
}

var numberOps = []string{"+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">="}

func numbersVars() Vars {
	v := engineVars()
	v.Inputs = map[string]any{"n": 4.0, "tags": []any{"a", "b"}}
	v.Steps = map[string]StepVars{"t": {Data: map[string]any{"x": 6.0}}, "s": {Data: map[string]any{"y": 7.5}}}
	v.Form = map[string]any{"f": 5.0}
	return v
}

// TestNumericModelAgrees is issue 13 item 1: every arithmetic and comparison
// operator between every kind of number. Whatever publishes must evaluate, to
// the arithmetic's value, both as publish checked it (typed form) and as the
// Engine runs it (dyn form); what does not publish is an int from a function
// against a double (write double(size(x))) and % on doubles (CEL's % is for
// ints).
func TestNumericModelAgrees(t *testing.T) {
	t.Parallel()
	type tc struct {
		a, b numberOperand
		op   string
	}
	var cases []tc
	var rules strings.Builder
	for _, a := range numberOperands {
		for _, b := range numberOperands {
			for _, op := range numberOps {
				cases = append(cases, tc{a, b, op})
				fmt.Fprintf(&rules, "          - {expr: '%s', message: m}\n", asRule(a.text+" "+op+" "+b.text, op))
			}
		}
	}
	src := strings.Replace(numbersSrc, "RULES\n", rules.String(), 1)
	_, err := Compile([]byte(src))
	refused := map[string]string{}
	if err != nil {
		for _, e := range err.(*ErrorList).Errors {
			refused[e.Path] = e.Message
		}
	}
	p := mustCompile(t, strings.Replace(numbersSrc, "RULES\n", "          - {expr: 'true', message: m}\n", 1))
	e := NewEngine()
	published := publishEnv(t, p)
	v := numbersVars()
	for i, c := range cases {
		expr := c.a.text + " " + c.op + " " + c.b.text
		path := fmt.Sprintf("steps[2].form[0].validate[%d].expr", i)
		intDouble := c.a.isInt != c.b.isInt && c.a.text != "3" && c.b.text != "3" // an int literal adapts
		// equality needs one type, unless one side is dyn (equality across numeric types holds at run time)
		sameType := c.op == "==" || c.op == "!="
		wantRefused := intDouble && (isArith(c.op) || sameType && !c.a.dyn && !c.b.dyn) ||
			c.op == "%" && (!c.a.isInt || !c.b.isInt)
		if msg, no := refused[path]; no {
			require.True(t, wantRefused, "%s does not publish: %s", expr, msg)
			continue
		}
		require.False(t, wantRefused, "%s publishes", expr)
		want := arith(c.a, c.b, c.op)
		got, err := e.Eval(p, expr, v)
		require.NoError(t, err, "%s publishes but fails at run time", expr)
		require.Equal(t, want, got, expr)
		got, err = published(expr)
		require.NoError(t, err, "%s at publish-time types", expr)
		require.Equal(t, want, got, "%s at publish-time types", expr)
		ok, err := e.EvalBool(p, asRule(expr, c.op), v) // the validate rule itself, as form validation runs it
		require.NoError(t, err, expr)
		require.True(t, ok, expr)
	}
}

func isArith(op string) bool { return strings.Contains("+-*/%", op) }

// asRule makes a bool of an expression: arithmetic must give a number.
func asRule(expr, op string) string {
	if isArith(op) {
		return "string(" + expr + `) != ""`
	}
	return "(" + expr + ") || true"
}

// arith computes what CEL must answer, as the Engine returns it (float64 for
// every number).
func arith(a, b numberOperand, op string) any {
	x, y := a.value, b.value
	bothInt := a.isInt && b.isInt
	switch op {
	case "+":
		return x + y
	case "-":
		return x - y
	case "*":
		return x * y
	case "/":
		if bothInt {
			return math.Trunc(x / y)
		}
		return x / y
	case "%":
		return math.Mod(x, y)
	case "==":
		return x == y
	case "!=":
		return x != y
	case "<":
		return x < y
	case "<=":
		return x <= y
	case ">":
		return x > y
	}
	return x >= y
}

// publishEnv evaluates an expression compiled exactly as publish checks the
// check step's form rules (form typed by its fields).
func publishEnv(t *testing.T, p *Program) func(string) (any, error) {
	t.Helper()
	def, err := newDefEnv(p)
	require.NoError(t, err)
	env, err := def.run.Extend(cel.Variable("form", def.prov.formType("Form", p.Step("check").Form)))
	require.NoError(t, err)
	pe := NewEngine().programEnv(p)
	return func(expr string) (any, error) {
		checked, issues := compileExpr(env, expr, false)
		if len(issues) > 0 {
			return nil, fmt.Errorf("%v", issues)
		}
		prg, err := env.Program(checked, cel.CostLimit(CostLimit))
		if err != nil {
			return nil, err
		}
		v := numbersVars()
		out, err := eval(prg, newActivation(p, pe, &v))
		if err != nil {
			return nil, err
		}
		return toNative(out), nil
	}
}

// TestNumericModelLiterals covers the other places an integer literal meets
// a number, and literals among themselves.
func TestNumericModelLiterals(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, strings.Replace(numbersSrc, "RULES\n", "          - {expr: 'true', message: m}\n", 1))
	e := NewEngine()
	v := numbersVars()
	for expr, want := range map[string]any{
		`form.f * 12 <= inputs.n * 1.1 * 20`:            true,
		`form.f + 1 > 0`:                                true,
		`(2 + 3) * 4`:                                   20.0,
		`"abcdef".substring(1 + 1)`:                     "cdef",
		`7 / 2`:                                         3.0, // ints divide as ints
		`form.f / 2`:                                    2.5,
		`form.f in [1, 5]`:                              true,
		`steps.s.data.y in [7, 7.5]`:                    true,
		`inputs.n > 1 ? form.f : 0`:                     5.0,
		`inputs.?m.orValue(0) + form.f`:                 5.0,
		`steps.s.data.?y.orValue(1) * 2`:                15.0,
		`size(inputs.tags) * 2 + 1`:                     5.0,
		`run.version == 3`:                              true,
		`inputs.n - 10 < 0`:                             true,
		`double(size(inputs.tags)) * inputs.n`:          8.0,
		`[1, 2, 3].map(i, i * 2)`:                       []any{2.0, 4.0, 6.0},
		`[1, 2, 3].exists(i, double(i) * form.f == 10)`: true,
		`math.greatest(form.f, 7) + 1`:                  8.0,
	} {
		got, err := e.Eval(p, expr, v)
		require.NoError(t, err, expr)
		require.Equal(t, want, got, expr)
	}
}

// TestPayrollRuleValidates runs employee-onboarding's payroll rule through
// form validation (it failed on every completion before the numeric model).
func TestPayrollRuleValidates(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("examples/employee-onboarding.yaml")
	require.NoError(t, err)
	p := mustCompile(t, string(src))
	e := NewEngine()
	v := Vars{Inputs: map[string]any{"salary": 60000.0}, Now: testNow}
	form := p.Step("payroll").Form
	_, errs := e.ValidateForm(p, form, map[string]any{"payroll_number": "P-1", "monthly_gross": 5000}, v)
	require.Empty(t, errs)
	_, errs = e.ValidateForm(p, form, map[string]any{"payroll_number": "P-1", "monthly_gross": 9000}, v)
	require.Equal(t, []FieldError{{Field: "monthly_gross", Message: "The monthly gross does not match the agreed salary."}}, errs)
}

// TestLegacyNumbers keeps what interpreter versions 1 and 2 computed, for
// their histories to replay (Vars.LegacyNumbers).
func TestLegacyNumbers(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, strings.Replace(numbersSrc, "RULES\n", "          - {expr: 'true', message: m}\n", 1))
	e := NewEngine()
	v := numbersVars()
	legacy := v
	legacy.LegacyNumbers = true
	for expr, want := range map[string][2]any{ // new, legacy ("error" when it fails)
		`form.f * 12`:                     {60.0, "error"},
		`steps.s.data.y + 1`:              {8.5, "error"},
		`inputs.n * 2`:                    {8.0, 8.0},
		`math.greatest(inputs.n, 10) / 4`: {2.5, 2.0},
		`[inputs.n, 10][1] / 4`:           {2.5, 2.0},
		`inputs.n > 1 ? inputs.n : 0`:     {4.0, "error"},
		`2 + 3`:                           {5.0, 5.0},
	} {
		for i, vars := range []Vars{v, legacy} {
			got, err := e.Eval(p, expr, vars)
			if want[i] == "error" {
				require.Error(t, err, "%s legacy=%v", expr, i == 1)
				continue
			}
			require.NoError(t, err, "%s legacy=%v", expr, i == 1)
			require.Equal(t, want[i], got, "%s legacy=%v", expr, i == 1)
		}
	}
}
