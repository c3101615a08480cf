package definitions

import (
	"strings"
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
