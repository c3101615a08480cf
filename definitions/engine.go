package definitions

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types/ref"
)

// Engine evaluates a compiled program's expressions at run time. Use one per
// process: it is safe for concurrent use, compiles each expression once per
// program content hash, and is deterministic (no host time zone; `now` only
// from Vars.Now).
//
// No evaluation costs more than CostLimit: every program runs under cel-go's
// cost tracker (cel.CostLimit) and stops with an error that IsCostLimitError
// recognises.
type Engine struct {
	envs     sync.Map // program hash -> *programEnv
	triggers sync.Map // webhook mapping text -> *compiled
}

// NewEngine returns an Engine with empty caches.
func NewEngine() *Engine { return &Engine{} }

// programEnv is the run-time environment of one program, with the programs
// compiled in it.
type programEnv struct {
	env     *cel.Env
	prov    *provider // the program's declared types
	loc     *time.Location
	err     error
	steps   map[string]*Step // every step by id, branches included
	stepIDs []string
	progs   sync.Map // progKey -> *compiled
	tmpls   sync.Map // progKey (template text) -> *compiledTemplate
}

// progKey is an expression or template and the numeric model it runs with.
type progKey struct {
	text   string
	legacy bool // Vars.LegacyNumbers
}

type compiled struct {
	prg cel.Program
	err error
}

type compiledTemplate struct {
	segs []segment
	prgs []*compiled
	err  error
}

func (e *Engine) programEnv(p *Program) *programEnv {
	if pe, ok := e.envs.Load(p.Hash); ok {
		return pe.(*programEnv)
	}
	pe := &programEnv{steps: map[string]*Step{}}
	walkSteps(p.Steps, func(s *Step) {
		pe.steps[s.ID] = s
		pe.stepIDs = append(pe.stepIDs, s.ID)
	})
	pe.loc, pe.err = p.Location()
	if pe.err == nil {
		var def *defEnv
		if def, pe.err = newDefEnv(p); pe.err == nil {
			pe.prov = def.prov
			pe.env, pe.err = def.runtimeEnv()
		}
	}
	actual, _ := e.envs.LoadOrStore(p.Hash, pe)
	return actual.(*programEnv)
}

// compile returns the cached program for expr, compiling it on first use.
func (e *Engine) compile(p *Program, expr string, legacy bool) (*compiled, *programEnv) {
	pe := e.programEnv(p)
	key := progKey{expr, legacy}
	if c, ok := pe.progs.Load(key); ok {
		return c.(*compiled), pe
	}
	c := &compiled{err: pe.err}
	if c.err == nil {
		c = programFor(pe.env, expr, legacy)
	}
	actual, _ := pe.progs.LoadOrStore(key, c)
	return actual.(*compiled), pe
}

// programFor compiles expr into a program that stops once it has cost CostLimit.
func programFor(env *cel.Env, expr string, legacy bool) *compiled {
	checked, issues := compileExpr(env, expr, legacy)
	if len(issues) > 0 {
		return &compiled{err: errors.Join(asErrors(issues)...)}
	}
	c := &compiled{}
	func() {
		defer recoverCEL(&c.err) // cel-go panics on a few valid inputs, e.g. a map literal keyed by bytes
		c.prg, c.err = env.Program(checked, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(CostLimit))
	}()
	return c
}

// recoverCEL turns a panic inside cel-go into an error: a definition must never take
// down a request or a workflow task.
func recoverCEL(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("the expression cannot be evaluated: %v", r)
	}
}

// eval evaluates a program, turning a panic inside cel-go into an error.
func eval(prg cel.Program, vars any) (out ref.Val, err error) {
	out, _, err = evalDetails(prg, vars)
	return out, err
}

func evalDetails(prg cel.Program, vars any) (out ref.Val, det *cel.EvalDetails, err error) {
	defer recoverCEL(&err)
	return prg.Eval(vars)
}

// Eval evaluates a CEL expression over v. The result is plain Go: string,
// float64 (every number), bool, []any, map[string]any, time.Time,
// time.Duration or nil.
func (e *Engine) Eval(p *Program, expr string, v Vars) (any, error) {
	c, pe := e.compile(p, expr, v.LegacyNumbers)
	if c.err != nil {
		return nil, fmt.Errorf("compile %q: %w", expr, c.err)
	}
	out, err := eval(c.prg, newActivation(p, pe, &v))
	if err != nil {
		return nil, fmt.Errorf("evaluate %q: %w", expr, err)
	}
	return toNative(out), nil
}

// EvalBool evaluates a condition; an empty expression is true.
func (e *Engine) EvalBool(p *Program, expr string, v Vars) (bool, error) {
	if expr == "" {
		return true, nil
	}
	out, err := e.Eval(p, expr, v)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("evaluate %q: want true or false, got %T", expr, out)
	}
	return b, nil
}

// Render interpolates a template: each {{ expression }} is evaluated and
// formatted (numbers without trailing zeros, dates as YYYY-MM-DD, lists joined
// with ", ", null as nothing).
func (e *Engine) Render(p *Program, tmpl string, v Vars) (string, error) {
	if !isTemplate(tmpl) {
		return tmpl, nil
	}
	ct, pe := e.template(p, tmpl, v.LegacyNumbers)
	if ct.err != nil {
		return "", ct.err
	}
	act := newActivation(p, pe, &v)
	buf := make([]byte, 0, len(tmpl)+32)
	for i, seg := range ct.segs {
		if seg.Expr == "" {
			buf = append(buf, seg.Lit...)
			continue
		}
		out, err := eval(ct.prgs[i].prg, act)
		if err != nil {
			return "", fmt.Errorf("render {{ %s }}: %w", seg.Expr, err)
		}
		buf = appendFormatted(buf, toNative(out), pe.loc)
	}
	return string(buf), nil
}

func (e *Engine) template(p *Program, tmpl string, legacy bool) (*compiledTemplate, *programEnv) {
	pe := e.programEnv(p)
	key := progKey{tmpl, legacy}
	if c, ok := pe.tmpls.Load(key); ok {
		return c.(*compiledTemplate), pe
	}
	ct := &compiledTemplate{}
	ct.segs, ct.err = parseTemplate(tmpl)
	if ct.err == nil && pe.err != nil {
		ct.err = pe.err
	}
	if ct.err == nil {
		ct.prgs = make([]*compiled, len(ct.segs))
		for i, seg := range ct.segs {
			if seg.Expr == "" {
				continue
			}
			ct.prgs[i], _ = e.compile(p, seg.Expr, legacy)
			if err := ct.prgs[i].err; err != nil {
				ct.err = fmt.Errorf("compile {{ %s }}: %w", seg.Expr, err)
				break
			}
		}
	}
	actual, _ := pe.tmpls.LoadOrStore(key, ct)
	return actual.(*compiledTemplate), pe
}

// IsCostLimitError reports whether err says an evaluation hit the cost limit.
func IsCostLimitError(err error) bool {
	return err != nil && strings.Contains(err.Error(), "cost limit exceeded")
}

func asErrors(issues []exprIssue) []error {
	out := make([]error, len(issues))
	for i, is := range issues {
		out[i] = is
	}
	return out
}

// evalTrigger evaluates a webhook mapping in the trigger environment.
func (e *Engine) evalTrigger(env *cel.Env, expr string, vars map[string]any) (any, error) {
	c, ok := e.triggers.Load(expr)
	if !ok {
		c, _ = e.triggers.LoadOrStore(expr, programFor(env, expr, false))
	}
	cc := c.(*compiled)
	if cc.err != nil {
		return nil, fmt.Errorf("compile %q: %w", expr, cc.err)
	}
	out, err := eval(cc.prg, vars)
	if err != nil {
		return nil, fmt.Errorf("evaluate %q: %w", expr, err)
	}
	return toNative(out), nil
}
