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

// celChecker checks every registered expression against the definition's types.
type celChecker struct {
	c    *compiler
	def  *defEnv
	envs map[*scope]*cel.Env
	sigs map[*scope]string
	memo map[memoKey]*checkResult
}

// memoKey identifies an expression checked in an environment of the same shape:
// repeated expressions (a guard used on many steps) are checked once.
type memoKey struct {
	sig, text string
}

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
	ck := &celChecker{c: c, def: def, envs: map[*scope]*cel.Env{}, sigs: map[*scope]string{},
		memo: map[memoKey]*checkResult{}}
	for _, site := range c.exprs {
		ck.site(site)
	}
}

func (ck *celChecker) site(site *exprSite) {
	env, err := ck.env(site.s)
	if err != nil {
		ck.c.errs.at(site.n, site.path, "internal error: %v", err)
		return
	}
	if !site.template {
		ck.one(env, site, site.text, 0, site.want)
		return
	}
	segs, err := parseTemplate(site.text)
	var te *templateError
	if errors.As(err, &te) {
		line, col := ck.c.position(site.n, te.off)
		ck.c.errs.add(line, col, site.path, "%s", te.msg)
		return
	}
	for _, seg := range segs {
		if seg.Expr != "" {
			ck.one(env, site, seg.Expr, seg.Off, wantAny)
		}
	}
}

// env returns the environment for a scope, building it once per compilation.
func (ck *celChecker) env(s *scope) (*cel.Env, error) {
	if e, ok := ck.envs[s]; ok {
		return e, nil
	}
	var opts []cel.EnvOption
	base := ck.def.run
	switch {
	case s.trigger:
		t, err := triggerEnv()
		ck.envs[s] = t
		return t, err
	case s.response:
		opts = append(opts, cel.Variable("response", cel.ObjectType(typeResponse)))
	}
	if s.form != nil {
		opts = append(opts, cel.Variable("form", ck.def.prov.formType("Form", *s.form)))
	}
	if s.row != nil {
		opts = append(opts, cel.Variable("row", ck.def.prov.formType("Row", *s.row)))
	}
	e := base
	if len(opts) > 0 {
		var err error
		if e, err = base.Extend(opts...); err != nil {
			return nil, err
		}
	}
	ck.envs[s] = e
	return e, nil
}

// one checks a single expression found at byte offset off of the site's text.
func (ck *celChecker) one(env *cel.Env, site *exprSite, text string, off int, w want) {
	r := ck.check(env, site.s, text)
	if len(r.issues) > 0 {
		for _, is := range r.issues {
			at := off + exprOffset(text, is.line, is.col)
			line, col := ck.c.position(site.n, at)
			ck.c.errs.add(line, col, site.path, "%s", is.msg)
		}
		return
	}
	line, col := ck.c.position(site.n, off)
	if msg := checkWant(r.out, w); msg != "" {
		ck.c.errs.add(line, col, site.path, "%s", msg)
	}
	if r.tooCostly {
		ck.c.errs.add(line, col, site.path, "expression is too expensive: its worst case costs more than %d units; simplify nested loops over lists", CostLimit)
	}
}

// check compiles text once per environment shape.
func (ck *celChecker) check(env *cel.Env, s *scope, text string) *checkResult {
	key := memoKey{ck.signature(s), text}
	if r, ok := ck.memo[key]; ok {
		return r
	}
	r := &checkResult{}
	checked, issues := compileExpr(env, text)
	if len(issues) > 0 {
		r.issues = issues
	} else {
		r.out = checked.OutputType()
		est, err := env.EstimateCost(checked, sizeEstimator{})
		r.tooCostly = err == nil && est.Max > CostLimit
	}
	ck.memo[key] = r
	return r
}

// signature describes the variables a scope declares, so equal forms share checks.
func (ck *celChecker) signature(s *scope) string {
	if sig, ok := ck.sigs[s]; ok {
		return sig
	}
	var b strings.Builder
	b.WriteString(s.key)
	if s.form != nil || s.row != nil {
		b.Reset()
		b.WriteString("form:")
		if s.form != nil {
			writeFieldSig(&b, *s.form)
		}
		b.WriteString("row:")
		if s.row != nil {
			writeFieldSig(&b, *s.row)
		}
	}
	ck.sigs[s] = b.String()
	return ck.sigs[s]
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
