package definitions

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDocumentedFunctions evaluates every function docs/definitions.md lists,
// so the CEL reference stays true.
func TestDocumentedFunctions(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, engineSrc)
	e := NewEngine()
	exprs := map[string]any{
		`[1, 2].all(x, x > 0) && [1, 2].exists(x, x > 1) && [1, 2].exists_one(x, x > 1)`: true,
		`[1, 2].map(x, x * 2)`:       []any{2.0, 4.0},
		`[1, 2, 3].filter(x, x > 1)`: []any{2.0, 3.0},
		`[1, 2, 3].slice(1, 3)`:      []any{2.0, 3.0},
		`[[1], [2]].flatten()`:       []any{1.0, 2.0},
		`lists.range(3)`:             []any{0.0, 1.0, 2.0},
		`[1, 1, 2].distinct()`:       []any{1.0, 2.0},
		`[1, 2].reverse()`:           []any{2.0, 1.0},
		`[2, 1].sort()`:              []any{1.0, 2.0},
		`[2, 1].sortBy(x, -x)`:       []any{2.0, 1.0},
		`sets.contains([1, 2], [1]) && sets.intersects([1], [1, 3]) && sets.equivalent([1, 2], [2, 1])`:          true,
		`"Hello".contains("ell") && "Hello".startsWith("He") && "Hello".endsWith("lo") && "Hello".matches("^H")`: true,
		`" a ".trim().upperAscii().lowerAscii()`:                                                                 "a",
		`"a,b".split(",").join("-")`:                                                                             "a-b",
		`"abc".replace("b", "x").substring(0, 2)`:                                                                "ax",
		`"abcb".indexOf("b") + "abcb".lastIndexOf("b")`:                                                          4.0,
		`"abc".charAt(1)`:           "b",
		`"%s: %d".format(["n", 3])`: "n: 3",
		`strings.quote("a")`:        `"a"`,
		`int(2.7) + int(double("1.5")) == 3 && string(5) == "5"`:                    true,
		`math.greatest(1, 3) + math.least(1, 3)`:                                    4.0,
		`math.ceil(1.2) + math.floor(1.8) + math.round(1.5) + math.abs(-1.0)`:       6.0,
		`date("2027-01-04") + duration("24h") == timestamp("2027-01-05T00:00:00Z")`: true,
		`(now - date("2027-01-04")) == duration("9h30m")`:                           true,
		`now.getFullYear() + now.getMonth() + now.getDate() + now.getDayOfWeek()`:   2027.0 + 0 + 4 + 1,
		`now.getHours("Europe/Berlin")`:                                             10.0,
		`type(1) == int && dyn(1) == 1`:                                             true,
		`"k" in {"k": 1} && 2 in [1, 2]`:                                            true,
	}
	for expr, want := range exprs {
		got, err := e.Eval(p, expr, engineVars())
		require.NoError(t, err, expr)
		require.Equal(t, want, got, expr)
	}
}
