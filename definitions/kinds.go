package definitions

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/google/cel-go/common/types"
)

// A step kind is declared once, in its kind_*.go file: its name, the YAML
// keys it accepts besides the common ones together with how each is read,
// what it checks once every key is read, the CEL type of steps.<id>.data (what
// the interpreter stores there), and where it may go next. Parsing, type
// checking, the flow check, the JSON Schema test and the interpreter's
// cross-check (workflows/kinds_test.go) all read the declaration; nothing
// else switches on a kind. CONTRIBUTING.md says how to add one.
type kind struct {
	name StepKind
	// keys maps each YAML key of the kind (besides commonStepKeys) to its decoder.
	keys map[string]decoder
	// finish applies defaults and reports what is missing once every key is
	// read; nil when there is nothing to check.
	finish func(sc *stepCtx)
	// data declares the keys of steps.<id>.data with their CEL types; nil
	// when the kind stores no data.
	data func(d *stepData, s *Step)
	// jumps lists the steps the kind itself may go to (a send back, a
	// timeout, a failure, a decision's rules); nil when it has none.
	jumps func(s *Step) []string
	// routes says that the kind alone decides where the run goes: only its
	// jumps, never next or the following step (decision, end).
	routes bool
	// known lists every key the kind accepts, sorted (set in init).
	known []string
}

// decoder reads the value v of one step key (path p) into the step.
type decoder func(sc *stepCtx, v *node, p string)

// kinds lists every step kind in documentation order. It is filled in init:
// decoders read nested steps (a parallel branch), which look kinds up again.
var kinds []*kind

func init() {
	kinds = []*kind{&taskKind, &approvalKind, &decisionKind, &parallelKind, &waitKind,
		&httpKind, &notifyKind, &setKind, &subprocessKind, &endKind}
	for _, k := range kinds {
		StepKinds = append(StepKinds, k.name)
		k.known = append(slices.Clone(commonStepKeys), slices.Collect(maps.Keys(k.keys))...)
		slices.Sort(k.known)
	}
}

// StepKinds lists every step kind in documentation order.
var StepKinds []StepKind

// kindOf returns the declaration of a step kind; nil for an unknown one.
func kindOf(name StepKind) *kind {
	for _, k := range kinds {
		if k.name == name {
			return k
		}
	}
	return nil
}

// commonStepKeys are the keys every step accepts (read in parse_step.go).
var commonStepKeys = []string{"id", "kind", "title", "description", "when", "next", "max_rounds"}

// knownKeys lists the keys a step of kind k accepts, sorted; only the common
// ones for an unknown kind.
func (k *kind) knownKeys() []string {
	if k == nil {
		return slices.Sorted(slices.Values(commonStepKeys))
	}
	return k.known
}

// allStepKeys lists every key some kind accepts, sorted.
func allStepKeys() []string {
	out := slices.Clone(commonStepKeys)
	for _, k := range kinds {
		for key := range k.keys {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func kindNames() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = string(k.name)
	}
	return out
}

// merge returns the union of decoder maps (kinds sharing keys, such as the
// human ones of task and approval).
func merge(maps ...map[string]decoder) map[string]decoder {
	out := map[string]decoder{}
	for _, m := range maps {
		for k, d := range m {
			out[k] = d
		}
	}
	return out
}

// stepData builds the type of one step's steps.<id>.data.
type stepData struct {
	p      *provider
	fields *structType
	open   bool // any key, each of type dyn
}

// add declares a key; declaring it again changes its type.
func (d *stepData) add(name string, t *types.Type) { d.fields.add(name, t) }

// form declares a key per form field, typed as the field.
func (d *stepData) form(fields []Field) {
	for i := range fields {
		if fields[i].ID != "" {
			d.add(fields[i].ID, d.p.fieldType(&fields[i]))
		}
	}
}

// dyn declares a key of type dyn per assignment (values computed with CEL).
func (d *stepData) dyn(as []Assignment) {
	for _, a := range as {
		d.add(a.Name, types.DynType)
	}
}

// successors lists where a step may go next: "" means the following step.
func successors(s *Step) []string {
	var out []string
	if s.When != "" {
		out = append(out, "") // skipped
	}
	k := kindOf(s.Kind)
	if k != nil && k.jumps != nil {
		out = append(out, k.jumps(s)...)
	}
	if k != nil && k.routes {
		return out
	}
	if s.MaxRounds > 0 && s.Next != "" {
		out = append(out, "") // a bounded jump back falls through once exhausted
	}
	if s.Next != "" {
		return append(out, s.Next)
	}
	return append(out, "")
}

// StepDataProblems lists how data, stored by the interpreter for step id,
// disagrees with the type the step's kind declares for steps.<id>.data: a key
// that is not declared, or a value (as CEL sees it) not of the declared type.
// It is for tests that keep the interpreter and the checker in step
// (workflows/kinds_test.go); nil means they agree.
func (e *Engine) StepDataProblems(p *Program, id string, data map[string]any) []string {
	pe := e.programEnv(p)
	step := pe.steps[id]
	switch {
	case pe.err != nil:
		return []string{pe.err.Error()}
	case step == nil:
		return []string{fmt.Sprintf("no step %q", id)}
	}
	st, _ := pe.prov.structs[typeSteps].field(id)
	declared, _ := pe.prov.structs[st.TypeName()].field("data")
	view := normalise(data, step.Form, pe.loc)
	var out []string
	for _, k := range slices.Sorted(maps.Keys(view)) {
		t, ok := pe.prov.fieldOf(declared, k)
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s %s stores data.%s, which its kind does not declare", step.Kind, id, k))
		case !pe.prov.conforms(t, view[k]):
			out = append(out, fmt.Sprintf("%s %s stores data.%s as %T, declared %s", step.Kind, id, k, view[k], t))
		}
	}
	return out
}

// fieldOf returns the type of key in a value of type t: a struct's field, a map's values.
func (p *provider) fieldOf(t *types.Type, key string) (*types.Type, bool) {
	switch t.Kind() {
	case types.MapKind:
		return t.Parameters()[1], true
	case types.StructKind:
		if s, ok := p.structs[t.TypeName()]; ok {
			return s.field(key)
		}
	case types.DynKind:
		return types.DynType, true
	}
	return nil, false
}

// conforms reports whether a run-time value (JSON data as the Engine presents
// it to CEL) has type t.
func (p *provider) conforms(t *types.Type, v any) bool {
	switch t.Kind() {
	case types.DynKind, types.AnyKind:
		return true
	case types.BoolKind:
		_, ok := v.(bool)
		return ok
	case types.DoubleKind:
		_, ok := v.(float64)
		return ok
	case types.StringKind:
		_, ok := v.(string)
		return ok
	case types.TimestampKind:
		_, ok := v.(time.Time)
		return ok
	case types.ListKind:
		l, ok := v.([]any)
		return ok && !slices.ContainsFunc(l, func(el any) bool { return !p.conforms(t.Parameters()[0], el) })
	case types.MapKind, types.StructKind:
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		for k, el := range m {
			if ft, ok := p.fieldOf(t, k); !ok || !p.conforms(ft, el) {
				return false
			}
		}
		return true
	}
	return false
}
