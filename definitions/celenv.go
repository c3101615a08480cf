package definitions

import (
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
)

// CostLimit bounds every evaluation (CEL cost units); at publish, an expression
// whose worst-case estimate exceeds it is rejected. At run time cel-go's cost
// tracker enforces it on every evaluation, and stops a hostile expression well
// within 50 ms.
const CostLimit = 50_000

// maxExprChars bounds the length of one expression.
const maxExprChars = 4096

// baseEnv is the one CEL environment every definition extends: standard
// library, optional values, pinned extension versions, `now`, and cross-type
// numeric comparisons. Changing it changes running workflows: keep additions
// additive.
var baseEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.CrossTypeNumericComparisons(true),
		cel.DefaultUTCTimeZone(true),
		cel.OptionalTypes(cel.OptionalTypesVersion(1)),
		cel.ParserExpressionSizeLimit(maxExprChars),
		ext.Strings(ext.StringsVersion(3)),
		ext.Lists(ext.ListsVersion(2), ext.ListsMaxRangeSize(1000)),
		ext.Math(ext.MathVersion(1)),
		ext.Sets(),
		cel.Variable("now", cel.TimestampType),
		cel.Function("date", cel.Overload("date_string", []*cel.Type{cel.StringType}, cel.TimestampType,
			cel.UnaryBinding(dateFunc))),
	)
})

// triggerEnv is the environment of webhook mappings: payload and headers only.
var triggerEnv = sync.OnceValues(func() (*cel.Env, error) {
	base, err := baseEnv()
	if err != nil {
		return nil, err
	}
	return base.Extend(
		cel.Variable("payload", cel.DynType),
		cel.Variable("headers", cel.MapType(cel.StringType, cel.StringType)),
	)
})

// defEnv holds a definition's provider and run-data environment.
type defEnv struct {
	prov *provider
	run  *cel.Env
}

// newDefEnv declares inputs, steps and run with the definition's types.
func newDefEnv(p *Program) (*defEnv, error) {
	base, err := baseEnv()
	if err != nil {
		return nil, err
	}
	reg := base.CELTypeProvider()
	prov := newProvider(reg)
	for name, s := range staticStructs() {
		prov.declare(name, s)
	}
	inputs := newStruct()
	for i := range p.Inputs {
		if p.Inputs[i].ID != "" {
			inputs.add(p.Inputs[i].ID, prov.fieldType(&p.Inputs[i]))
		}
	}
	prov.declare(typeInputs, inputs)
	prov.stepsType(p)
	env, err := base.Extend(
		cel.CustomTypeProvider(prov),
		cel.Variable("run", cel.ObjectType(typeRun)),
		cel.Variable("inputs", cel.ObjectType(typeInputs)),
		cel.Variable("steps", cel.ObjectType(typeSteps)),
	)
	if err != nil {
		return nil, err
	}
	return &defEnv{prov: prov, run: env}, nil
}

// runtimeEnv adds the variables that only some expressions see (form, row,
// response) as dynamic maps: types were checked at publish.
func (d *defEnv) runtimeEnv() (*cel.Env, error) {
	dynMap := cel.MapType(cel.StringType, cel.DynType)
	return d.run.Extend(
		cel.Variable("form", dynMap),
		cel.Variable("row", dynMap),
		cel.Variable("response", cel.ObjectType(typeResponse)),
	)
}

// sizeEstimator gives publish-time cost estimation sizes for data whose size
// CEL cannot know: lists and strings from forms are assumed to hold at most
// 1000 items or characters.
type sizeEstimator struct{}

func (sizeEstimator) EstimateSize(checker.AstNode) *checker.SizeEstimate {
	return &checker.SizeEstimate{Min: 0, Max: 1000}
}

func (sizeEstimator) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

// dateFunc parses "YYYY-MM-DD" as midnight UTC.
func dateFunc(v ref.Val) ref.Val {
	s, ok := v.(types.String)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	t, err := time.Parse(time.DateOnly, string(s))
	if err != nil {
		return types.NewErr("date: %q is not written YYYY-MM-DD", string(s))
	}
	return types.Timestamp{Time: t}
}
