package definitions

import (
	"fmt"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// exprIssue is a problem in one expression: 1-based line, 0-based column in code points.
type exprIssue struct {
	line, col int
	msg       string
}

func (i exprIssue) Error() string { return fmt.Sprintf("%d:%d: %s", i.line, i.col+1, i.msg) }

// compileExpr parses and type-checks one expression.
//
// Numbers from forms are doubles while literals like 5000 are ints, and CEL
// has no int/double overloads for + - * / == !=. So that `inputs.amount * 2`
// and `inputs.amount == 5000` work, integer literals next to those operators
// are checked as dyn and then turned into the literal type the other operand
// has (2.0 next to a double, 2 next to an int). Comparisons (< <= > >=) are
// cross-type in the base environment already.
func compileExpr(env *cel.Env, text string) (*cel.Ast, []exprIssue) {
	parsed, iss := env.Parse(text)
	if iss.Err() != nil {
		return nil, celIssues(iss)
	}
	lits := wrapIntLiterals(parsed.NativeRep())
	checked, iss := env.Check(parsed)
	if iss.Err() != nil {
		return nil, celIssues(iss)
	}
	if issues := unwrapIntLiterals(checked.NativeRep(), lits); len(issues) > 0 {
		return nil, issues
	}
	return checked, nil
}

func celIssues(iss *cel.Issues) []exprIssue {
	errs := iss.Errors()
	out := make([]exprIssue, len(errs))
	for i, e := range errs {
		out[i] = exprIssue{line: e.Location.Line(), col: e.Location.Column(), msg: e.Message}
	}
	return out
}

var numericOps = map[string]bool{"_+_": true, "_-_": true, "_*_": true, "_/_": true, "_==_": true, "_!=_": true}

// wrapIntLiterals rewrites int literal operands of numericOps (and int elements
// of a list literal on the right of `in`) to dyn(literal), returning their ids.
func wrapIntLiterals(a *ast.AST) map[int64]ref.Val {
	fac := ast.NewExprFactory()
	next := ast.MaxID(a)
	lits := map[int64]ref.Val{}
	wrap := func(e ast.Expr) {
		if e.Kind() != ast.LiteralKind {
			return
		}
		if _, ok := e.AsLiteral().(types.Int); !ok {
			return
		}
		next++
		lits[e.ID()] = e.AsLiteral()
		e.SetKindCase(fac.NewCall(e.ID(), "dyn", fac.NewLiteral(next, e.AsLiteral())))
	}
	ast.PostOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		for _, arg := range numericOperands(e) {
			wrap(arg)
		}
	}))
	return lits
}

// numericOperands returns the operands of e that may be rewritten.
func numericOperands(e ast.Expr) []ast.Expr {
	if e.Kind() != ast.CallKind {
		return nil
	}
	call := e.AsCall()
	args := call.Args()
	switch {
	case numericOps[call.FunctionName()] && len(args) == 2:
		return args
	case call.FunctionName() == "@in" && len(args) == 2 && args[1].Kind() == ast.ListKind:
		return args[1].AsList().Elements()
	}
	return nil
}

// unwrapIntLiterals turns each dyn(literal) back into a literal of the type
// its partner operand has, reporting equality between a number and a non-number.
func unwrapIntLiterals(a *ast.AST, lits map[int64]ref.Val) []exprIssue {
	if len(lits) == 0 {
		return nil
	}
	var issues []exprIssue
	fac := ast.NewExprFactory()
	ast.PostOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() != ast.CallKind {
			return
		}
		call := e.AsCall()
		args := call.Args()
		for i, arg := range numericOperands(e) {
			val, ok := lits[arg.ID()]
			if !ok {
				continue
			}
			partner := args[0]
			if call.FunctionName() != "@in" {
				partner = args[1-i]
			}
			pt := a.GetType(partner.ID())
			lit, msg := literalFor(val, pt, call.FunctionName())
			if msg != "" {
				loc := a.SourceInfo().GetStartLocation(arg.ID())
				issues = append(issues, exprIssue{line: loc.Line(), col: loc.Column(), msg: msg})
				continue
			}
			arg.SetKindCase(fac.NewLiteral(arg.ID(), lit))
			a.SetType(arg.ID(), lit.Type().(*types.Type))
			delete(a.ReferenceMap(), arg.ID())
		}
	}))
	return issues
}

func literalFor(val ref.Val, partner *types.Type, fn string) (ref.Val, string) {
	switch partner.Kind() {
	case types.DoubleKind:
		return types.Double(val.(types.Int)), ""
	case types.IntKind, types.DynKind, types.AnyKind:
		return val, ""
	case types.UintKind:
		return types.Uint(val.(types.Int)), ""
	case types.ListKind:
		if fn == "@in" {
			return val, ""
		}
	}
	return nil, fmt.Sprintf("found no matching overload for '%s' applied to '(%s, int)'", fn, partner)
}
