package definitions

import (
	"bytes"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
)

// want is what an expression must yield.
type want int

const (
	wantAny want = iota
	wantBool
	wantString
	wantTimestamp
	wantUsers // a user id or a list of user ids
)

// scope says which variables an expression sees besides inputs, steps, run and now.
type scope struct {
	key      string
	sig      string   // see signature
	form     *[]Field // `form`: the fields of the form being filled
	row      *[]Field // `row`: the current row of a table
	trigger  bool     // only `payload` and `headers`
	response bool     // `response` of an http step
}

var (
	runScope      = &scope{key: "run"}
	triggerScope  = &scope{key: "trigger", trigger: true}
	responseScope = &scope{key: "response", response: true}
)

// exprSite is an expression or template found while parsing, checked later.
type exprSite struct {
	n        *node
	path     string
	text     string
	s        *scope
	want     want
	template bool
}

// expr registers a CEL expression to check and returns its text.
func (c *compiler) expr(n *node, path string, s *scope, w want) string {
	text := c.str(n, path)
	if text != "" {
		c.exprs = append(c.exprs, &exprSite{n: n, path: path, text: text, s: s, want: w})
	}
	return text
}

// tmpl registers a template to check and returns its text.
func (c *compiler) tmpl(n *node, path string, s *scope) string {
	text := c.str(n, path)
	if isTemplate(text) {
		c.exprs = append(c.exprs, &exprSite{n: n, path: path, text: text, s: s, template: true})
	}
	return text
}

// celChecker checks every registered expression against the definition's
// types, in source order. Scopes of the same shape (the forms of many tasks
// with the same fields) declare the same types and share one environment, and
// an expression is checked once per (shape, text): a guard repeated on many
// steps costs one check.
type celChecker struct {
	c    *compiler
	def  *defEnv
	envs map[string]*scopeEnv // by scope signature
	memo map[memoKey]*checkResult
}

type memoKey struct {
	sig, text string
}

// scopeEnv is the CEL environment of every scope with one signature.
type scopeEnv struct {
	env *cel.Env
	err error
}

// checkResult is the outcome of checking one expression text in one scope signature.
type checkResult struct {
	issues    []exprIssue
	out       *types.Type
	tooCostly bool
}

func (c *compiler) checkExpressions() {
	if len(c.exprs) == 0 {
		return
	}
	def, err := newDefEnv(c.prog)
	if err != nil {
		c.errs.add(1, 1, "", "internal error building the expression environment: %v", err)
		return
	}
	ck := &celChecker{c: c, def: def, envs: map[string]*scopeEnv{}, memo: map[memoKey]*checkResult{}}
	for _, site := range c.exprs {
		ck.site(site)
	}
}

// site checks one expression or every expression of one template.
func (ck *celChecker) site(site *exprSite) {
	sig := site.s.signature()
	se := ck.scopeEnv(sig, site.s)
	if se.err != nil {
		ck.c.errs.at(site.n, site.path, "internal error: %v", se.err)
		return
	}
	segs, w := []segment{{Expr: site.text}}, site.want
	if site.template {
		var err error
		var te *templateError
		if segs, err = parseTemplate(site.text); errors.As(err, &te) {
			line, col := ck.c.position(site.n, te.off)
			ck.c.errs.add(line, col, site.path, "%s", te.msg)
			return
		}
		w = wantAny
	}
	for _, seg := range segs {
		if seg.Expr == "" {
			continue
		}
		key := memoKey{sig, seg.Expr}
		r, ok := ck.memo[key]
		if !ok {
			r = check(se.env, seg.Expr)
			ck.memo[key] = r
		}
		ck.report(site, r, seg.Expr, seg.Off, w)
	}
}

// scopeEnv returns the environment of a scope's signature, building it on first use.
func (ck *celChecker) scopeEnv(sig string, s *scope) *scopeEnv {
	if se, ok := ck.envs[sig]; ok {
		return se
	}
	se := &scopeEnv{}
	ck.envs[sig] = se
	var opts []cel.EnvOption
	switch {
	case s.trigger:
		se.env, se.err = triggerEnv()
		return se
	case s.response:
		opts = append(opts, cel.Variable("response", cel.ObjectType(typeResponse)))
	}
	if s.form != nil {
		opts = append(opts, cel.Variable("form", ck.def.prov.formType("Form", *s.form)))
	}
	if s.row != nil {
		opts = append(opts, cel.Variable("row", ck.def.prov.formType("Row", *s.row)))
	}
	se.env = ck.def.run
	if len(opts) > 0 {
		se.env, se.err = ck.def.run.Extend(opts...)
	}
	return se
}

// check compiles text in env and estimates its worst-case cost.
func check(env *cel.Env, text string) *checkResult {
	checked, issues := compileExpr(env, text, false)
	if len(issues) == 0 {
		issues = dataArithmetic(checked.NativeRep())
	}
	if len(issues) > 0 {
		return &checkResult{issues: issues}
	}
	r := &checkResult{out: checked.OutputType()}
	est, err := env.EstimateCost(checked, sizeEstimator{})
	r.tooCostly = err == nil && est.Max > CostLimit
	return r
}

// report records the errors of one expression found at byte offset off of the site's text.
func (ck *celChecker) report(site *exprSite, r *checkResult, text string, off int, w want) {
	if len(r.issues) > 0 {
		for _, is := range r.issues {
			at := off + exprOffset(text, is.line, is.col)
			line, col := ck.c.position(site.n, at)
			ck.c.errs.add(line, col, site.path, "%s", is.msg)
		}
		return
	}
	msg := checkWant(r.out, w)
	if msg == "" && !r.tooCostly {
		return
	}
	line, col := ck.c.position(site.n, off)
	if msg != "" {
		ck.c.errs.add(line, col, site.path, "%s", msg)
	}
	if r.tooCostly {
		ck.c.errs.add(line, col, site.path, "expression is too expensive: its worst case costs more than %d units; simplify nested loops over lists", CostLimit)
	}
}

// signature describes the variables a scope declares, so scopes of the same
// shape share an environment and checks. A form scope's is computed once its
// form is parsed, on first use (the shared scopes have no form and are never
// written to).
func (s *scope) signature() string {
	if s.form == nil && s.row == nil {
		return s.key
	}
	if s.sig == "" {
		var b strings.Builder
		b.WriteString("form:")
		if s.form != nil {
			writeFieldSig(&b, *s.form)
		}
		b.WriteString("row:")
		if s.row != nil {
			writeFieldSig(&b, *s.row)
		}
		s.sig = b.String()
	}
	return s.sig
}

func writeFieldSig(b *strings.Builder, fields []Field) {
	for _, f := range fields {
		b.WriteString(f.ID)
		b.WriteByte(':')
		b.WriteString(f.Type)
		if len(f.Fields) > 0 {
			b.WriteByte('(')
			writeFieldSig(b, f.Fields)
			b.WriteByte(')')
		}
		b.WriteByte(',')
	}
}

func checkWant(t *types.Type, w want) string {
	if t.Kind() == types.DynKind || w == wantAny {
		return ""
	}
	ok := false
	switch w {
	case wantBool:
		ok = t.IsExactType(types.BoolType)
	case wantString:
		ok = t.IsExactType(types.StringType)
	case wantTimestamp:
		ok = t.IsExactType(types.TimestampType) || t.IsExactType(types.StringType)
	case wantUsers:
		ok = t.IsExactType(types.StringType) || t.Kind() == types.ListKind
	}
	if ok {
		return ""
	}
	names := map[want]string{wantBool: "true or false (a bool)", wantString: "text (a string)",
		wantTimestamp: "a date or time (a timestamp)", wantUsers: "a user id or a list of user ids"}
	return "expression must yield " + names[w] + ", but yields " + typeName(t)
}

func typeName(t *types.Type) string {
	if t.Kind() == types.StructKind {
		return "an object"
	}
	return t.String()
}

// exprOffset converts a CEL location (1-based line, 0-based column in code
// points) into a byte offset of text.
func exprOffset(text string, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(text[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
	}
	for n := 0; n < col && off < len(text); n++ {
		_, size := utf8.DecodeRuneInString(text[off:])
		off += size
	}
	return off
}

// position maps a byte offset within a scalar's value to a source line and column.
func (c *compiler) position(n *node, off int) (int, int) {
	if off > len(n.text) {
		off = len(n.text)
	}
	prefix := n.text[:off]
	k := strings.Count(prefix, "\n")
	col := utf8.RuneCountInString(prefix[strings.LastIndexByte(prefix, '\n')+1:])
	switch {
	case n.block:
		return n.line + 1 + k, c.indent(n.line+1) + col + 1
	case k == 0 && n.quoted:
		return n.line, n.col + col + 1
	case k == 0:
		return n.line, n.col + col
	}
	line := n.line + k
	return line, c.indent(line) + col + 1
}

// indent counts the leading spaces of a source line.
func (c *compiler) indent(line int) int {
	start := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(c.src[start:], '\n')
		if i < 0 {
			return 0
		}
		start += i + 1
	}
	n := 0
	for start+n < len(c.src) && c.src[start+n] == ' ' {
		n++
	}
	return n
}
