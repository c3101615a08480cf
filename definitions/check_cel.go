package definitions

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
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
//
// Checking runs in three passes. plan walks the sites in source order: it
// gives each scope its environment (declaring the scope's generated types in
// that order, so their names never depend on what follows), splits templates,
// and collects each distinct (scope signature, text) pair once. run
// type-checks those pairs. report walks the sites again in the same order and
// records their errors exactly as checking them one by one would.
type celChecker struct {
	c      *compiler
	def    *defEnv
	scopes map[*scope]*scopeEnv
	shared map[string]*scopeEnv // signature -> the first scope with it, whose environment the others share
	sigs   map[*scope]string
	memo   map[memoKey]*checkResult
}

// memoKey identifies an expression checked in an environment of the same shape:
// repeated expressions (a guard used on many steps) are checked once.
type memoKey struct {
	sig, text string
}

// scopeEnv is the CEL environment of one scope. Scopes of the same signature
// declare types of the same shape, so expressions are checked in the
// environment of the first of them (owner); a scope's own environment is only
// built to word a message with the names of its own types.
type scopeEnv struct {
	sig   string
	opts  []cel.EnvOption // the scope's variables on top of the run-data environment
	env   *cel.Env        // nil until built
	err   error
	owner *scopeEnv
	// types declares the scope's form and row types, for a scope whose own
	// environment may never be built (one sharing its owner's).
	types func() []cel.EnvOption
}

// checkResult is the outcome of checking one expression text in one scope
// signature; first is the first scope (in source order) that checked it.
type checkResult struct {
	text      string
	first     *scopeEnv
	exact     bool // computed in first's own environment
	issues    []exprIssue
	out       *types.Type
	tooCostly bool
}

// sitePlan is what plan found for one site.
type sitePlan struct {
	se      *scopeEnv
	err     error          // the scope's environment could not be built
	tmplErr *templateError // the template does not parse
	segs    []segment      // the expressions, with their offsets in the site's text
	results []*checkResult // one per segment
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
	ck := &celChecker{c: c, def: def, scopes: map[*scope]*scopeEnv{}, shared: map[string]*scopeEnv{},
		sigs: map[*scope]string{}, memo: map[memoKey]*checkResult{}}
	plans := make([]sitePlan, len(c.exprs))
	var todo []*checkResult
	for i, site := range c.exprs {
		plans[i] = ck.plan(site, &todo)
	}
	ck.run(todo)
	for i, site := range c.exprs {
		ck.report(site, &plans[i])
	}
}

// plan prepares one site, appending the expressions not checked yet to todo.
func (ck *celChecker) plan(site *exprSite, todo *[]*checkResult) sitePlan {
	se := ck.scopeEnv(site.s)
	p := sitePlan{se: se}
	if p.err = se.owner.err; p.err != nil {
		return p
	}
	if !site.template {
		p.segs = []segment{{Expr: site.text}}
	} else {
		segs, err := parseTemplate(site.text)
		if errors.As(err, &p.tmplErr) {
			return p
		}
		for _, seg := range segs {
			if seg.Expr != "" {
				p.segs = append(p.segs, seg)
			}
		}
	}
	p.results = make([]*checkResult, len(p.segs))
	for i, seg := range p.segs {
		key := memoKey{se.sig, seg.Expr}
		r, ok := ck.memo[key]
		if !ok {
			r = &checkResult{text: seg.Expr, first: se, exact: se.owner == se}
			ck.memo[key] = r
			*todo = append(*todo, r)
		}
		p.results[i] = r
	}
	return p
}

// scopeEnv returns the environment of a scope, creating it on first use.
func (ck *celChecker) scopeEnv(s *scope) *scopeEnv {
	if se, ok := ck.scopes[s]; ok {
		return se
	}
	se := &scopeEnv{sig: ck.signature(s)}
	ck.scopes[s] = se
	switch {
	case s.trigger:
		se.env, se.err = triggerEnv()
	case s.response:
		se.opts = append(se.opts, cel.Variable("response", cel.ObjectType(typeResponse)))
	}
	// The form and row types get their names now, in source order, but a
	// scope that shares its owner's environment (every task of a large
	// definition with the same form) only declares them if a message needs
	// them.
	var form, row func() *types.Type
	if s.form != nil {
		form = ck.def.prov.reserveFormType("Form", *s.form)
	}
	if s.row != nil {
		row = ck.def.prov.reserveFormType("Row", *s.row)
	}
	se.types = func() []cel.EnvOption {
		var opts []cel.EnvOption
		if form != nil {
			opts = append(opts, cel.Variable("form", form()))
		}
		if row != nil {
			opts = append(opts, cel.Variable("row", row()))
		}
		return opts
	}
	if owner, ok := ck.shared[se.sig]; ok {
		se.owner = owner
		return se
	}
	se.owner = se
	ck.shared[se.sig] = se
	ck.build(se)
	return se
}

// build creates the scope's own environment.
func (ck *celChecker) build(se *scopeEnv) {
	if se.env != nil || se.err != nil {
		return
	}
	if se.types != nil {
		se.opts = append(se.opts, se.types()...)
		se.types = nil
	}
	se.env = ck.def.run
	if len(se.opts) > 0 {
		se.env, se.err = ck.def.run.Extend(se.opts...)
	}
}

// parallelChecks is the number of expressions from which checking is spread
// over the available CPUs: below it, starting goroutines is not worth it.
const parallelChecks = 64

// run checks every expression collected by plan. The checks are independent:
// each parses and checks its own AST, and the environments and the type
// provider are only read (plan declared every type the owners' environments
// use; report declares the others, after run). So a large definition is
// checked on all CPUs; results land in their own checkResult and report reads
// them in source order, so the outcome does not depend on scheduling. A panic
// inside cel-go is raised again in the caller's goroutine, as if checked there.
func (ck *celChecker) run(todo []*checkResult) {
	workers := ck.c.workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(todo)/(parallelChecks/2))
	if len(todo) < parallelChecks || workers < 2 {
		for _, r := range todo {
			r.check(r.first.owner.env, ck.c.pre)
		}
		return
	}
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		panicked atomic.Pointer[any]
	)
	for range workers {
		wg.Go(func() {
			defer func() {
				if v := recover(); v != nil {
					panicked.CompareAndSwap(nil, &v)
				}
			}()
			for i := next.Add(1) - 1; i < int64(len(todo)) && panicked.Load() == nil; i = next.Add(1) - 1 {
				todo[i].check(todo[i].first.owner.env, ck.c.pre)
			}
		})
	}
	wg.Wait()
	if v := panicked.Load(); v != nil {
		panic(*v)
	}
}

// check compiles r's text in env and estimates its worst-case cost, using the
// text's AST from pre when it was parsed ahead.
func (r *checkResult) check(env *cel.Env, pre *preparser) {
	r.issues, r.out, r.tooCostly = nil, nil, false
	checked, issues := compileParsed(env, r.text, pre.take(r.text))
	if len(issues) > 0 {
		r.issues = issues
		return
	}
	r.out = checked.OutputType()
	est, err := env.EstimateCost(checked, sizeEstimator{})
	r.tooCostly = err == nil && est.Max > CostLimit
}

// exact re-checks r in its first scope's own environment, so that a message
// names that scope's types (handoff.Form3, not the handoff.Form1 of the scope
// whose environment was shared).
func (ck *celChecker) exact(r *checkResult) {
	if r.exact {
		return
	}
	r.exact = true
	if ck.build(r.first); r.first.err == nil {
		r.check(r.first.env, nil)
	}
}

func (ck *celChecker) report(site *exprSite, p *sitePlan) {
	if p.err != nil {
		ck.c.errs.at(site.n, site.path, "internal error: %v", p.err)
		return
	}
	if te := p.tmplErr; te != nil {
		line, col := ck.c.position(site.n, te.off)
		ck.c.errs.add(line, col, site.path, "%s", te.msg)
		return
	}
	w := site.want
	if site.template {
		w = wantAny
	}
	for i, seg := range p.segs {
		ck.one(site, p.results[i], seg.Off, w)
	}
}

// one reports the errors of a single expression found at byte offset off of the site's text.
func (ck *celChecker) one(site *exprSite, r *checkResult, off int, w want) {
	if len(r.issues) > 0 || checkWant(r.out, w) != "" {
		ck.exact(r)
	}
	text := r.text
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
