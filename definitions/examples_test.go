package definitions

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestExamplesCompile(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("examples/*.yaml")
	require.NoError(t, err)
	valid, err := filepath.Glob("testdata/valid/*.yaml")
	require.NoError(t, err)
	files = append(files, valid...)
	require.GreaterOrEqual(t, len(files), 2)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(f)
			require.NoError(t, err)
			_, err = Compile(src)
			if err != nil {
				t.Fatal(err.(*ErrorList).Format(f, src))
			}
		})
	}
}

func TestExamplesCoverEveryKindAndFieldType(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("examples/*.yaml")
	require.NoError(t, err)
	require.Len(t, files, 5)
	kinds, types := map[StepKind]bool{}, map[string]bool{}
	var visitFields func([]Field)
	visitFields = func(fs []Field) {
		for _, f := range fs {
			types[f.Type] = true
			visitFields(f.Fields)
		}
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		p, err := Compile(src)
		require.NoError(t, err, f)
		visitFields(p.Inputs)
		walkSteps(p.Steps, func(s *Step) {
			kinds[s.Kind] = true
			visitFields(s.Form)
		})
	}
	for _, k := range StepKinds {
		require.True(t, kinds[k], "no example uses step kind %s", k)
	}
	for _, ft := range FieldTypes {
		require.True(t, types[ft], "no example uses field type %s", ft)
	}
}

// TestVendorRiskDecisionOnDeepPath evaluates a rule that names a step of the
// other path: steps that did not run read as empty instead of failing.
func TestVendorRiskDecisionOnDeepPath(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("examples/vendor-risk-review.yaml")
	require.NoError(t, err)
	p, err := Compile(src)
	require.NoError(t, err)
	rule := p.Step("decide").Rules[0].When
	e := NewEngine()
	for _, outcome := range []string{OutcomeApproved, OutcomeRejected} {
		v := Vars{Steps: map[string]StepVars{
			"security_review": {Outcome: OutcomeApproved, Status: "completed"},
			"legal_review":    {Outcome: outcome, Status: "completed", Data: map[string]any{"dpa_signed": true}},
		}}
		got, err := e.EvalBool(p, rule, v)
		require.NoError(t, err)
		require.Equal(t, outcome == OutcomeApproved, got)
	}
}
