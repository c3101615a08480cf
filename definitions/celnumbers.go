package definitions

import (
	"fmt"
	"slices"

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

// The numeric model (docs/definitions.md, "Numbers").
//
// Every number a definition's data holds is a double: number fields and
// inputs, JSON numbers in payloads, responses and step data (the Engine
// normalises values, and stores every result as a double). CEL ints only
// come from functions (size, int(), getFullYear(), run.version, ...). CEL has
// no int/double overloads for + - * / == !=, so an integer literal written
// next to a number adapts to it:
//
//   - next to a double, or a value whose type is not known before run time
//     (dyn: a payload field, an http or set value), it is a double:
//     `inputs.amount * 12`, `form.x + 1 > 0`, `payload.total == 100`;
//   - next to an int or a uint it stays that: `size(form.items) + 1`;
//   - next to another integer literal both stay ints: `2 + 3`.
//
// The places where a literal meets a number are the operands of + - * / ==
// !=, the elements of a list literal (with each other, and with the value on
// the left of `in`), the arguments of math.greatest and math.least, the two
// branches of `c ? a : b`, and the argument of optional `orValue`.
// Comparisons (< <= > >=) compare across numeric types anyway. The decision
// depends only on whether the other side is an int, a uint or something else,
// which is the same when publish checks an expression against the declared
// types and when the Engine compiles it at run time (where `form` and `row`
// are dyn maps).
//
// Since a dyn number is a double at run time, arithmetic between a dyn value
// and an int (not a literal: size(x), int(y)) is refused at publish (write
// double(size(x))), and so is % with a dyn operand (% is defined on ints only:
// write int(x) % 2). So an expression that publishes also evaluates:
// TestNumericModelAgrees.

// The numeric model before interpreter version 3 (legacy, kept for the
// histories of runs started then, see Vars.LegacyNumbers) differed in three
// ways: an integer literal next to a dyn value stayed an int (so it failed
// at run time against a number from data, or a form field, which the Engine
// sees as dyn); two integer literals met each other as dyn; and only the
// operands of + - * / == != and the list on the right of `in` adapted.

// compileExpr parses and type-checks one expression with the numeric model
// (legacy: the one before interpreter version 3). Integer literals that meet
// a number are checked as dyn(literal), then turned into a literal of the
// type the other side has.
func compileExpr(env *cel.Env, text string, legacy bool) (*cel.Ast, []exprIssue) {
	parsed, iss := env.Parse(text)
	if iss.Err() != nil {
		return nil, celIssues(iss)
	}
	lits := wrapIntLiterals(parsed.NativeRep(), legacy)
	checked, iss := env.Check(parsed)
	if iss.Err() != nil {
		return nil, celIssues(iss)
	}
	if issues := unwrapIntLiterals(checked.NativeRep(), lits, legacy); len(issues) > 0 {
		return nil, issues
	}
	return checked, nil
}

// dataArithmetic refuses, at publish, arithmetic that the checker accepts on
// a dyn value but that cannot evaluate with a number from data, a double:
// with an int, or a remainder. (The Engine does not repeat it at run time,
// where form and row are dyn: what published stays runnable.)
func dataArithmetic(a *ast.AST) []exprIssue {
	var issues []exprIssue
	ast.PostOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() != ast.CallKind || len(e.AsCall().Args()) != 2 {
			return
		}
		fn, args := e.AsCall().FunctionName(), e.AsCall().Args()
		l, r := a.GetType(args[0].ID()).Kind(), a.GetType(args[1].ID()).Kind()
		isInt := func(k types.Kind) bool { return k == types.IntKind || k == types.UintKind }
		var msg string
		switch {
		case fn == "_%_" && (l == types.DynKind || r == types.DynKind):
			msg = "the remainder (%) is defined on ints, and a number from data is a double: convert it with int(...)"
		case numericOps[fn] && fn != "_==_" && fn != "_!=_" && (l == types.DynKind && isInt(r) || isInt(l) && r == types.DynKind):
			msg = fmt.Sprintf("'%s' between a number from data (a double) and an int: convert the int with double(...)", fn)
		default:
			return
		}
		loc := a.SourceInfo().GetStartLocation(e.ID())
		issues = append(issues, exprIssue{line: loc.Line(), col: loc.Column(), msg: msg})
	}))
	return issues
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

// meeting is an operand that may be an integer literal and the expression
// whose type it adapts to.
type meeting struct {
	operand, partner ast.Expr
}

// meetings lists where e makes an operand meet another: see the numeric model.
func meetings(e ast.Expr, legacy bool) []meeting {
	if e.Kind() == ast.ListKind && !legacy {
		return siblings(e.AsList().Elements())
	}
	if e.Kind() != ast.CallKind {
		return nil
	}
	call := e.AsCall()
	args := call.Args()
	switch fn := call.FunctionName(); {
	case numericOps[fn] && len(args) == 2:
		return []meeting{{args[0], args[1]}, {args[1], args[0]}}
	case fn == "@in" && len(args) == 2 && args[1].Kind() == ast.ListKind:
		var out []meeting
		for _, el := range args[1].AsList().Elements() {
			out = append(out, meeting{el, args[0]})
		}
		return out
	case legacy:
		return nil
	case fn == "math.@max" || fn == "math.@min":
		return siblings(args)
	case fn == "_?_:_" && len(args) == 3:
		return []meeting{{args[1], args[2]}, {args[2], args[1]}}
	case fn == "orValue" && call.IsMemberFunction() && len(args) == 1:
		return []meeting{{args[0], call.Target()}}
	}
	return nil
}

// siblings makes each element meet the first of them that is not an integer literal.
func siblings(elems []ast.Expr) []meeting {
	i := slices.IndexFunc(elems, func(e ast.Expr) bool { return !isIntLiteral(e) })
	if i < 0 {
		return nil
	}
	out := make([]meeting, 0, len(elems))
	for _, el := range elems {
		if el != elems[i] {
			out = append(out, meeting{el, elems[i]})
		}
	}
	return out
}

func isIntLiteral(e ast.Expr) bool {
	if e.Kind() != ast.LiteralKind {
		return false
	}
	_, ok := e.AsLiteral().(types.Int)
	return ok
}

// wrapIntLiterals rewrites each integer literal that meets something other
// than an integer literal to dyn(literal), returning the literals by id.
func wrapIntLiterals(a *ast.AST, legacy bool) map[int64]ref.Val {
	fac := ast.NewExprFactory()
	next := ast.MaxID(a)
	lits := map[int64]ref.Val{}
	ast.PostOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		for _, m := range meetings(e, legacy) {
			if !isIntLiteral(m.operand) || isIntLiteral(m.partner) && !legacy || lits[m.operand.ID()] != nil {
				continue
			}
			next++
			lit := m.operand.AsLiteral()
			lits[m.operand.ID()] = lit
			m.operand.SetKindCase(fac.NewCall(m.operand.ID(), "dyn", fac.NewLiteral(next, lit)))
		}
	}))
	return lits
}

// unwrapIntLiterals turns each dyn(literal) back into a literal of the type
// its partner has, reporting a number that meets a non-number.
func unwrapIntLiterals(a *ast.AST, lits map[int64]ref.Val, legacy bool) []exprIssue {
	if len(lits) == 0 {
		return nil
	}
	var issues []exprIssue
	fac := ast.NewExprFactory()
	ast.PostOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		for _, m := range meetings(e, legacy) {
			val, ok := lits[m.operand.ID()]
			if !ok {
				continue
			}
			delete(lits, m.operand.ID()) // a literal meets one partner: the first listed
			lit, msg := literalFor(val.(types.Int), a.GetType(m.partner.ID()), e.AsCall().FunctionName(), legacy)
			switch {
			case msg != "" && e.Kind() == ast.ListKind:
				lit = val // a list may mix types: ["a", 1] holds an int
			case msg != "":
				loc := a.SourceInfo().GetStartLocation(m.operand.ID())
				issues = append(issues, exprIssue{line: loc.Line(), col: loc.Column(), msg: msg})
				continue
			}
			m.operand.SetKindCase(fac.NewLiteral(m.operand.ID(), lit))
			a.SetType(m.operand.ID(), lit.Type().(*types.Type))
			delete(a.ReferenceMap(), m.operand.ID())
		}
	}))
	return issues
}

// literalFor gives an integer literal the type of the number it meets.
func literalFor(val types.Int, partner *types.Type, fn string, legacy bool) (ref.Val, string) {
	if partner.Kind() == types.OpaqueKind && partner.TypeName() == "optional_type" && len(partner.Parameters()) == 1 {
		partner = partner.Parameters()[0] // orValue: the optional's value
	}
	switch partner.Kind() {
	case types.IntKind:
		return val, ""
	case types.DynKind, types.AnyKind:
		if legacy {
			return val, ""
		}
		return types.Double(val), ""
	case types.UintKind:
		return types.Uint(val), ""
	case types.DoubleKind:
		return types.Double(val), ""
	case types.ListKind:
		if fn == "@in" {
			return val, ""
		}
	}
	return nil, fmt.Sprintf("found no matching overload for '%s' applied to '(%s, int)'", fn, partner)
}
