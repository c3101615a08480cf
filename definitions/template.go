package definitions

import (
	"fmt"
	"strings"
	"time"
)

// segment is a piece of a template: literal text, or a CEL expression (Expr
// set) starting at byte offset Off of the template.
type segment struct {
	Lit  string
	Expr string
	Off  int
}

// templateError is a template syntax error at a byte offset.
type templateError struct {
	off int
	msg string
}

func (e *templateError) Error() string { return e.msg }

// parseTemplate splits "Hello {{ inputs.name }}!" into segments. "{{" opens an
// expression that runs to the next "}}"; there is no escape: write
// {{ "{{" }} for literal braces.
func parseTemplate(s string) ([]segment, error) {
	var out []segment
	pos := 0
	for pos < len(s) {
		open := strings.Index(s[pos:], "{{")
		if open < 0 {
			out = append(out, segment{Lit: s[pos:], Off: pos})
			break
		}
		open += pos
		if open > pos {
			out = append(out, segment{Lit: s[pos:open], Off: pos})
		}
		end := closeIndex(s, open+2)
		if end < 0 {
			return nil, &templateError{open, "unclosed {{: add }} after the expression"}
		}
		inner := s[open+2 : end]
		trimmed := strings.TrimSpace(inner)
		if trimmed == "" {
			return nil, &templateError{open, "empty {{ }}: put an expression inside, e.g. {{ inputs.name }}"}
		}
		lead := len(inner) - len(strings.TrimLeft(inner, " \t\r\n"))
		out = append(out, segment{Expr: trimmed, Off: open + 2 + lead})
		pos = end + 2
	}
	return out, nil
}

// closeIndex finds the "}}" closing an expression, skipping string literals.
func closeIndex(s string, from int) int {
	var quote byte
	for i := from; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0 && ch == '\\':
			i++
		case quote != 0 && ch == quote:
			quote = 0
		case quote != 0:
		case ch == '"' || ch == '\'':
			quote = ch
		case ch == '}' && i+1 < len(s) && s[i+1] == '}':
			return i
		}
	}
	return -1
}

// isTemplate reports whether s contains an interpolation.
func isTemplate(s string) bool { return strings.Contains(s, "{{") }

// RenderJSON renders a value of an http step's body. A text that is exactly one
// {{ expression }} keeps the expression's JSON type: a number, true or false, null,
// a list or an object (dates and durations inside become their template text, as
// JSON has no such types). Any other text — literal text, or several parts — renders
// to a string as Render does.
func (e *Engine) RenderJSON(p *Program, tmpl string, v Vars) (any, error) {
	if !isTemplate(tmpl) {
		return tmpl, nil
	}
	ct, pe := e.template(p, tmpl, v.LegacyNumbers)
	if ct.err != nil {
		return nil, ct.err
	}
	if len(ct.segs) != 1 || ct.segs[0].Expr == "" {
		return e.Render(p, tmpl, v)
	}
	out, err := eval(ct.prgs[0].prg, newActivation(p, pe, &v))
	if err != nil {
		return nil, fmt.Errorf("render {{ %s }}: %w", ct.segs[0].Expr, err)
	}
	return jsonValue(toNative(out), pe.loc), nil
}

// jsonValue turns what toNative yields into JSON data, formatting times and durations.
func jsonValue(v any, loc *time.Location) any {
	switch x := v.(type) {
	case time.Time, time.Duration:
		return formatValue(x, loc)
	case []any:
		for i := range x {
			x[i] = jsonValue(x[i], loc)
		}
	case map[string]any:
		for k := range x {
			x[k] = jsonValue(x[k], loc)
		}
	}
	return v
}
