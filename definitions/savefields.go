package definitions

import (
	"github.com/google/cel-go/common/types"
)

// SaveFields are the form fields a person fills in to stand in for what an http step
// would have saved (a fix-it task's "skip"): one per `save` entry, in order, with the
// entry's name as id, typed by the CEL type its expression yields (text when the type
// is only known at run time, as for anything read from response.body).
func (e *Engine) SaveFields(p *Program, s *Step) []Field {
	if s.HTTP == nil {
		return nil
	}
	pe := e.programEnv(p)
	out := make([]Field, 0, len(s.HTTP.Save))
	for _, a := range s.HTTP.Save {
		f := Field{ID: a.Name, Label: humanize(a.Name), Type: TypeText}
		if pe.err == nil {
			if checked, issues := compileExpr(pe.env, a.Expr, false); len(issues) == 0 {
				f.Type = fieldTypeOf(checked.OutputType())
			}
		}
		out = append(out, f)
	}
	return out
}

// fieldTypeOf is the form field type that holds a value of CEL type t.
func fieldTypeOf(t *types.Type) string {
	switch t.Kind() {
	case types.DoubleKind, types.IntKind, types.UintKind:
		return TypeNumber
	case types.BoolKind:
		return TypeBoolean
	case types.TimestampKind:
		return TypeDatetime
	}
	return TypeText
}
