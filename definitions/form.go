package definitions

import (
	"fmt"
	"sort"
	"time"
)

// FieldError is one problem with submitted form data. Field is the field id;
// inside a table it is "items[2].qty" (rows count from 0).
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidateForm checks data against fields: unknown keys, types, required, min
// and max, pattern, options, visible_when and validate rules. A field whose
// visible_when is false (or cannot be evaluated yet) is hidden: it never
// blocks and is dropped. It returns the cleaned data (defaults applied, hidden
// fields removed) for storing, and every problem found (nil when valid).
func (e *Engine) ValidateForm(p *Program, fields []Field, data map[string]any, v Vars) (map[string]any, []FieldError) {
	st := e.ResolveForm(p, fields, data, v)
	return st.Data, st.Errors
}

// FormState is a form resolved against the values filled in so far.
type FormState struct {
	// Data is what a submission of these values would store: defaults applied,
	// hidden fields removed.
	Data map[string]any
	// Hidden lists the fields whose visible_when is false (or cannot be evaluated
	// yet), by the same names as errors: "amount", "items[2].qty".
	Hidden []string
	// Errors is every problem a submission of these values would be refused for.
	Errors []FieldError
}

// ResolveForm is ValidateForm for a form still being filled in: the same checks,
// and which fields show. Clients use it to show and hide fields as people type.
func (e *Engine) ResolveForm(p *Program, fields []Field, data map[string]any, v Vars) FormState {
	fv := &formValidator{e: e, p: p, loc: e.programEnv(p).loc, vars: v}
	if fv.loc == nil {
		fv.loc = time.UTC
	}
	cleaned := fv.form(fields, data, "", nil)
	return FormState{Data: cleaned, Hidden: fv.hidden, Errors: fv.errs}
}

type formValidator struct {
	e      *Engine
	p      *Program
	loc    *time.Location
	vars   Vars
	errs   []FieldError
	hidden []string
}

func (fv *formValidator) fail(field, format string, args ...any) {
	fv.errs = append(fv.errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// form validates one form (prefix "") or one table row (prefix "items[2].",
// with form holding the whole form being filled).
func (fv *formValidator) form(fields []Field, data map[string]any, prefix string, form map[string]any) map[string]any {
	fv.unknownKeys(fields, data, prefix)
	cleaned := make(map[string]any, len(fields))
	for i := range fields {
		f := &fields[i]
		if val, ok := data[f.ID]; ok && val != nil {
			cleaned[f.ID] = val
		} else if f.Default != nil {
			cleaned[f.ID] = f.Default
		}
	}
	vars := fv.vars
	view := normalise(cleaned, fields, fv.loc)
	if prefix == "" {
		vars.Form = view
	} else {
		vars.Form, vars.Row = form, view
	}
	for i := range fields {
		fv.field(&fields[i], cleaned, prefix, vars)
	}
	return cleaned
}

func (fv *formValidator) unknownKeys(fields []Field, data map[string]any, prefix string) {
	var unknown []string
	for k := range data {
		if !hasField(fields, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		fv.fail(prefix+k, "unknown field")
	}
}

func hasField(fields []Field, id string) bool {
	for i := range fields {
		if fields[i].ID == id {
			return true
		}
	}
	return false
}

func (fv *formValidator) field(f *Field, cleaned map[string]any, prefix string, vars Vars) {
	name := prefix + f.ID
	if f.VisibleWhen != "" {
		if visible, err := fv.e.EvalBool(fv.p, f.VisibleWhen, vars); err != nil || !visible {
			delete(cleaned, f.ID)
			fv.hidden = append(fv.hidden, name)
			return
		}
	}
	val, present := cleaned[f.ID]
	if !present || isEmpty(val) {
		if f.Required {
			fv.fail(name, "is required")
		}
		return
	}
	if msg := checkValue(f, val, fv.loc); msg != "" {
		fv.fail(name, "%s", msg)
		return
	}
	if f.Type == TypeTable {
		cleaned[f.ID] = fv.rows(f, val.([]any), name, vars.Form)
	}
	for _, r := range f.Validate {
		if ok, err := fv.e.EvalBool(fv.p, r.Expr, vars); err != nil || !ok {
			fv.fail(name, "%s", r.Message)
		}
	}
}

func (fv *formValidator) rows(f *Field, rows []any, name string, form map[string]any) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		prefix := fmt.Sprintf("%s[%d].", name, i)
		m, ok := r.(map[string]any)
		if !ok {
			fv.fail(prefix[:len(prefix)-1], "must be a row of %s", fieldIDs(f.Fields))
			out[i] = r
			continue
		}
		out[i] = fv.form(f.Fields, m, prefix, form)
	}
	return out
}

func fieldIDs(fields []Field) string {
	s := ""
	for i, f := range fields {
		if i > 0 {
			s += ", "
		}
		s += f.ID
	}
	return s
}
