package definitions

import (
	"math"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/ast"
)

// How CostLimit is enforced at run time
//
// cel-go can count the cost of every evaluation step and stop an evaluation
// that goes over a limit (cel.CostLimit). That tracker runs on every node of
// every evaluation and costs more than evaluating a small rule itself. Most
// expressions do not need it: a guard such as
//
//	inputs.amount > 5000 && inputs.department == "eng"
//
// costs the same whatever the data holds. So when the Engine builds a program
// it first proves, from the checked expression alone, a bound on what the
// tracker could ever count (staticCostBound). If that bound is within
// CostLimit the limit can never be hit and the program runs untracked;
// otherwise it runs with cel.CostLimit(CostLimit) as before.
//
// The bound is cel-go's static estimate (Env.EstimateCost, the mirror image of
// the run-time tracker: checker/cost.go and interpreter/runtimecost.go in
// cel-go v0.31.0) computed with an estimator that knows nothing about data
// (unknownSizes): every list, map, string or bytes value whose size is not
// written in the expression itself is taken as unbounded. Any cost that grows
// with data (string concatenation, contains, matches, `in` over a list from
// data, sets.* over data, string equality between two data values...) then
// comes out as unbounded and the expression stays tracked. Functions the
// estimator does not know (our `date`, the ext.Strings v3, ext.Lists v2 and
// ext.Math v1 functions, none of which registers a run-time cost tracker at
// those versions, conversions, size, timestamp accessors) cost 1 in both the
// estimate and the tracker. ext.Sets registers matching estimators and
// trackers, both in list sizes.
//
// Two places where the tracker counts more than the estimate are covered here:
//
//   - Selection. The estimate charges a field selection only on a map or an
//     object operand; the tracker charges one unit for every attribute and one
//     for every qualifier, whatever the operand (a field of a dyn value such
//     as response.body.id, a field of a call's result). That is at most two
//     units per node of the expression more than the estimate, for a node that
//     is evaluated once: staticCostBound adds 2 per node.
//   - Loops. A comprehension (all, exists, map, filter, ...) evaluates its body
//     once per element, which would multiply that per-node gap. Expressions
//     with a comprehension are always tracked: they are where cost limits
//     matter, and proving them is not worth the risk.
//
// The bound assumes values have their declared types (a number input is a
// double, not a long string), which ValidateForm and the Engine's
// normalisation of inputs and form data ensure; values of type dyn (webhook
// payloads, http responses, set and subprocess data) are sized as unknown.
// TestStaticCostBoundCoversTracker checks the bound against the tracker's
// actual cost over expressions from every function family in the environment.

// unknownSizes is a cost estimator that knows nothing about data sizes.
type unknownSizes struct{}

func (unknownSizes) EstimateSize(checker.AstNode) *checker.SizeEstimate { return nil }

func (unknownSizes) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

// perNodeSlack covers what the run-time tracker charges for selections beyond
// the static estimate (an attribute and a qualifier per node at most).
const perNodeSlack = 2

// staticCostBound returns an upper bound of the cost the run-time tracker
// would count for any evaluation of checked, whatever the data; ok says that
// the bound exists (no comprehension, no cost growing with data) and is within
// CostLimit, so that the expression can run untracked.
func staticCostBound(env *cel.Env, checked *cel.Ast) (bound uint64, ok bool) {
	nodes, loops := uint64(0), false
	ast.PostOrderVisit(checked.NativeRep().Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		nodes++
		loops = loops || e.Kind() == ast.ComprehensionKind
	}))
	if loops {
		return 0, false
	}
	est, err := env.EstimateCost(checked, unknownSizes{})
	if err != nil || est.Max > math.MaxUint64-perNodeSlack*nodes {
		return 0, false
	}
	bound = est.Max + perNodeSlack*nodes
	return bound, bound <= CostLimit
}
