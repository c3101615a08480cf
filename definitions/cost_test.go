package definitions

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEveryEvaluationIsCostTracked checks that the Engine runs every program
// under cel-go's cost tracker, the cheap guards too: no evaluation path skips
// the cost limit.
func TestEveryEvaluationIsCostTracked(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, engineSrc)
	e := NewEngine()
	pe := e.programEnv(p)
	v := engineVars()
	for _, expr := range []string{
		`inputs.amount > 5000 && (inputs.name == "eng" || run.version == 3)`,
		`steps.review.data.ok && steps.review.outcome == "completed"`,
		`inputs.?name.orValue("x")`,
		`inputs.amount in [1, 6000]`,
		`date("2027-01-04") < now`,
		`inputs.name.contains("a")`,
		`[1, 2].exists(x, x == 2)`,
	} {
		c, _ := e.compile(p, expr, false)
		require.NoError(t, c.err, expr)
		_, det, err := evalDetails(c.prg, newActivation(p, pe, &v))
		require.NoError(t, err, expr)
		require.NotNil(t, det.ActualCost(), "%s ran without the cost tracker", expr)
	}
}
