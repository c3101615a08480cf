package definitions

import (
	"encoding/json"
	"time"

	"github.com/google/cel-go/interpreter"
)

// Vars is what CEL sees at run time. Values come from JSON (numbers are
// float64; dates are "YYYY-MM-DD" and datetimes RFC 3339 strings, converted to
// timestamps using the field declarations).
type Vars struct {
	Inputs map[string]any
	Steps  map[string]StepVars
	Run    RunVars
	Now    time.Time
	// Form is the form being filled, visible to visible_when and validate as `form`.
	Form map[string]any
	// Row is the current table row, visible to a table's column rules as `row`.
	Row map[string]any
	// Response is an http step's response, visible to its save expressions:
	// {"status": float64, "body": any, "headers": map[string]string}.
	Response map[string]any
	// LegacyNumbers evaluates with the numeric model of interpreter versions 1
	// and 2, so that their histories replay: an integer literal next to a
	// value of unknown type (dyn: a form field at run time, data from a
	// payload, a response, a set step) stays an int, and only the operands of
	// + - * / == != and the list on the right of `in` adapt (celnumbers.go).
	// Leave it false for new runs and outside the interpreter.
	LegacyNumbers bool
}

// StepVars is one step's record as CEL sees it under steps.<id>.
type StepVars struct {
	Data        map[string]any `json:"data,omitempty"`
	Outcome     string         `json:"outcome,omitempty"`
	CompletedBy string         `json:"completed_by,omitempty"`
	CompletedAt time.Time      `json:"completed_at"`
	Status      string         `json:"status,omitempty"`
}

// RunVars describes the run as CEL sees it under run.
type RunVars struct {
	ID         string    `json:"id"`
	StartedBy  string    `json:"started_by"`
	Definition string    `json:"definition"`
	StartedAt  time.Time `json:"started_at"`
	Version    int       `json:"version"`
}

// activation resolves variables lazily: a namespace is converted only when an
// expression uses it, and at most once per evaluation.
type activation struct {
	v      Vars // a copy, so the caller's Vars stays on its stack
	p      *Program
	loc    *time.Location
	pe     *programEnv
	inputs map[string]any
	steps  *stepsValue
}

// newActivation returns the activation of one evaluation (or of the segments
// of one template): one allocation.
func newActivation(p *Program, pe *programEnv, v *Vars) *activation {
	return &activation{v: *v, p: p, loc: pe.loc, pe: pe}
}

var _ interpreter.Activation = (*activation)(nil)

func (a *activation) Parent() interpreter.Activation { return nil }

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "inputs":
		if a.inputs == nil {
			a.inputs = normalise(a.v.Inputs, a.p.Inputs, a.loc)
		}
		return a.inputs, true
	case "steps":
		if a.steps == nil {
			a.steps = &stepsValue{a: a, index: a.pe.steps, ids: a.pe.stepIDs}
		}
		return a.steps, true
	case "run":
		r := a.v.Run
		return map[string]any{"id": r.ID, "started_by": r.StartedBy, "definition": r.Definition,
			"started_at": r.StartedAt, "version": int64(r.Version)}, true
	case "now":
		return a.v.Now, true
	case "form":
		return orEmpty(a.v.Form), true
	case "row":
		return orEmpty(a.v.Row), true
	case "response":
		return orEmpty(a.v.Response), true
	}
	return nil, false
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// normalise converts JSON values to what the declared fields mean to CEL:
// numbers to float64, dates and datetimes to time.Time. It copies the map only
// when something changes.
func normalise(data map[string]any, fields []Field, loc *time.Location) map[string]any {
	if data == nil {
		return map[string]any{}
	}
	var out map[string]any
	for i := range fields {
		f := &fields[i]
		switch f.Type {
		case TypeNumber, TypeBoolean, TypeDate, TypeDatetime, TypeTable:
		default:
			continue // convert keeps every other type as it is
		}
		v, ok := data[f.ID]
		if !ok && f.Type != TypeBoolean {
			continue
		}
		nv, changed := convert(f, v, loc)
		if !ok {
			nv, changed = false, true // an unticked checkbox is false, not absent
		}
		if !changed {
			continue
		}
		if out == nil {
			out = make(map[string]any, len(data))
			for k, x := range data {
				out[k] = x
			}
		}
		out[f.ID] = nv
	}
	if out == nil {
		return data
	}
	return out
}

func convert(f *Field, v any, loc *time.Location) (any, bool) {
	switch f.Type {
	case TypeNumber:
		if _, ok := v.(float64); ok {
			return v, false
		}
		if n, ok := toFloat(v); ok {
			return n, true
		}
	case TypeDate, TypeDatetime:
		if s, ok := v.(string); ok {
			if t, err := parseTime(f.Type, s, loc); err == nil {
				return t, true
			}
		}
	case TypeTable:
		rows, ok := v.([]any)
		if !ok {
			return v, false
		}
		out := make([]any, len(rows))
		for i, r := range rows {
			m, _ := r.(map[string]any)
			out[i] = normalise(m, f.Fields, loc)
		}
		return out, true
	}
	return v, false
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// parseTime reads a date ("2027-01-04", midnight in loc) or an RFC 3339 datetime.
func parseTime(typ, s string, loc *time.Location) (time.Time, error) {
	if typ == TypeDate {
		return time.ParseInLocation(time.DateOnly, s, loc)
	}
	return time.Parse(time.RFC3339, s)
}
