package definitions

import (
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/stretchr/testify/require"
)

func TestEngineTracksOnlyDataDependentCost(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, engineSrc)
	e := NewEngine()
	untracked := []string{
		`inputs.amount > 5000 && (inputs.name == "eng" || run.version == 3)`,
		`steps.review.data.ok && steps.review.outcome == "completed"`,
		`inputs.?name.orValue("x")`,
		`inputs.name.startsWith("J")`,
		`inputs.amount in [1, 6000]`,
		`date("2027-01-04") < now`,
	}
	for _, expr := range untracked {
		c, _ := e.compile(p, expr)
		require.NoError(t, c.err, expr)
		require.False(t, c.tracked, expr)
		require.NotZero(t, c.bound, expr)
		require.LessOrEqual(t, c.bound, uint64(CostLimit), expr)
	}
	tracked := []string{
		`inputs.name.contains("a")`,         // O(size of the input)
		`inputs.name + "!"`,                 // O(size of the input)
		`inputs.name.matches("^J")`,         // O(size of the input)
		`"a" in inputs.tags`,                // O(size of the list)
		`inputs.name == run.started_by`,     // two strings from data
		`sets.contains(inputs.tags, ["a"])`, // O(size of the list)
		`inputs.items.map(i, i.qty)`,        // a loop
		`[1, 2].exists(x, x == 2)`,          // a loop, even over a literal list
	}
	for _, expr := range tracked {
		c, _ := e.compile(p, expr)
		require.NoError(t, c.err, expr)
		require.True(t, c.tracked, expr)
	}
}

// TestStaticCostBoundCoversTracker checks, for expressions from every function
// family in the environment, that whenever staticCostBound proves a bound, the
// run-time tracker's actual cost stays within it, with data far larger than
// anything the expressions mention.
func TestStaticCostBoundCoversTracker(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, engineSrc)
	pe := NewEngine().programEnv(p)
	require.NoError(t, pe.err)
	long := strings.Repeat("Jane Doe, ", 2000)
	tags := make([]any, 2000)
	for i := range tags {
		tags[i] = "a"
	}
	v := engineVars()
	v.Inputs["name"] = long
	v.Inputs["tags"] = tags
	v.Form = map[string]any{"x": long, "n": 3.0, "list": tags}
	v.Row = map[string]any{"qty": 2.0}
	v.Response = map[string]any{"status": 200.0, "headers": map[string]string{"x": long},
		"body": map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": long}}}, "list": tags}}
	exprs := []string{
		// selections, presence, optionals, indexes: on objects, maps and dyn
		`inputs.amount`, `steps.review.data.ok`, `run.started_by`, `now`,
		`response.body.a.b.c.d`, `response.body["a"]["b"].c`, `response.body.list[0]`,
		`response.headers["x"]`, `form.x`, `form.list[1]`, `row.qty * 2.0`,
		`has(inputs.name)`, `has(response.body.a.b)`, `inputs.?name.orValue("x")`,
		`response.body.?a.?b.hasValue()`, `{"a": inputs.amount}.a`, `[inputs.amount, 2][0]`,
		`inputs.tags[0]`, `(inputs.amount > 1 ? response.body : response.body.a.b).a`,
		// operators
		`inputs.amount > 5000 && (inputs.name == "eng" || run.version == 3)`,
		`inputs.amount * 2 + 1 - 3.0 / 4.0`, `run.version % 2 == 1`, `!steps.review.data.ok`,
		`inputs.amount in [1, 6000]`, `"x" in {"x": 1}`, `"a" in inputs.tags`,
		`inputs.name == "Jane"`, `inputs.name != "Jane"`, `inputs.name < "K"`, `form.x >= "b"`,
		`inputs.name == run.started_by`, `inputs.tags == ["a"]`, `response.body == {"a": 1}`,
		`[1] + [2]`, `inputs.tags + ["b"]`, `inputs.name + "!"`, `"a" + "b"`,
		// standard functions and conversions
		`size(inputs.name)`, `size(inputs.tags)`, `inputs.name.startsWith("J")`,
		`inputs.name.endsWith("e")`, `inputs.name.contains("a")`, `inputs.name.matches("^J")`,
		`string(inputs.amount)`, `int(inputs.amount)`, `double(run.version)`, `type(inputs.amount)`,
		`dyn(inputs.amount)`, `bytes(inputs.name)`, `string(bytes("x"))`, `timestamp("2027-01-01T00:00:00Z")`,
		`duration("1h") + duration("1m")`, `now.getFullYear()`, `now - duration("1h") < now`,
		`date("2027-01-04") < now`, `inputs.start_date.getDayOfWeek()`,
		// ext.Strings v3
		`inputs.name.charAt(3)`, `inputs.name.indexOf("e")`, `inputs.name.lastIndexOf("e")`,
		`inputs.name.lowerAscii()`, `inputs.name.upperAscii()`, `inputs.name.replace("a", "b")`,
		`inputs.name.split(",")`, `inputs.name.substring(1, 3)`, `inputs.name.trim()`,
		`inputs.tags.join("-")`, `inputs.name.reverse()`, `strings.quote(inputs.name)`,
		`"%s and %s".format([inputs.name, inputs.name])`,
		// ext.Lists v2
		`lists.range(5)`, `[3, 1, 2].sort()`, `inputs.tags.sort()`, `[[1], [2]].flatten()`,
		`inputs.tags.distinct()`, `inputs.tags.slice(0, 2)`, `inputs.tags.reverse()`,
		// ext.Math v1
		`math.greatest(1, 2, 3)`, `math.least([inputs.amount, 2.0])`, `math.ceil(inputs.amount)`,
		`math.abs(-1)`, `math.isNaN(inputs.amount)`, `math.bitOr(1, 2)`,
		// ext.Sets
		`sets.contains([1, 2], [1])`, `sets.equivalent([1], [1])`, `sets.intersects(inputs.tags, ["a"])`,
		// loops
		`inputs.items.map(i, i.qty)`, `[1, 2].exists(x, x == 2)`, `inputs.tags.all(t, t == "a")`,
		`inputs.tags.sortBy(t, t)`,
	}
	proven := 0
	for _, expr := range exprs {
		checked, issues := compileExpr(pe.env, expr)
		require.Empty(t, issues, expr)
		bound, ok := staticCostBound(pe.env, checked)
		if !ok {
			continue
		}
		proven++
		prg, err := pe.env.Program(checked, cel.CostTracking(nil), cel.EvalOptions(cel.OptOptimize))
		require.NoError(t, err, expr)
		_, det, err := prg.Eval(newActivation(p, pe, &v))
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		require.LessOrEqual(t, *det.ActualCost(), bound, expr)
	}
	require.Greater(t, proven, len(exprs)/2, "most of these expressions have a data-independent cost")
}

// TestStaticCostBoundSelectSlack shows why staticCostBound adds a slack per
// node: cel-go's estimate does not charge a field selection on a dyn value,
// the tracker does.
func TestStaticCostBoundSelectSlack(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, engineSrc)
	pe := NewEngine().programEnv(p)
	v := engineVars()
	v.Response = map[string]any{"body": map[string]any{"a": map[string]any{"b": map[string]any{"c": 1.0}}}}
	checked, issues := compileExpr(pe.env, `response.body.a.b.c`)
	require.Empty(t, issues)
	est, err := pe.env.EstimateCost(checked, unknownSizes{})
	require.NoError(t, err)
	prg, err := pe.env.Program(checked, cel.CostTracking(nil))
	require.NoError(t, err)
	_, det, err := prg.Eval(newActivation(p, pe, &v))
	require.NoError(t, err)
	require.Greater(t, *det.ActualCost(), est.Max, "the estimate alone is not a bound")
	bound, ok := staticCostBound(pe.env, checked)
	require.True(t, ok)
	require.LessOrEqual(t, *det.ActualCost(), bound)
}
