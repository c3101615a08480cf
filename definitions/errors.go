package definitions

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// Error is one problem found in a definition, positioned in its source.
// Line and Column are 1-based; both are 0 when the problem concerns the whole file.
type Error struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Path    string `json:"path,omitempty"` // e.g. "steps[1].form[0].type"
	Message string `json:"message"`
}

// Error renders "LINE:COL: PATH: MESSAGE"; the path is omitted when empty.
func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Message)
	}
	return fmt.Sprintf("%d:%d: %s: %s", e.Line, e.Column, e.Path, e.Message)
}

// ErrorList holds every problem found in a definition, sorted by position.
type ErrorList struct {
	Errors []*Error `json:"errors"`
}

// Error joins all errors, one per line.
func (l *ErrorList) Error() string {
	parts := make([]string, len(l.Errors))
	for i, e := range l.Errors {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Format renders each error as "file:line:col: path: message" followed by the
// source line and a caret under the column, the way compilers do.
func (l *ErrorList) Format(filename string, src []byte) string {
	lines := bytes.Split(src, []byte("\n"))
	var b strings.Builder
	for _, e := range l.Errors {
		fmt.Fprintf(&b, "%s:%s\n", filename, e.Error())
		if e.Line < 1 || e.Line > len(lines) {
			continue
		}
		text := strings.TrimRight(string(lines[e.Line-1]), "\r")
		b.WriteString(" | ")
		b.WriteString(strings.ReplaceAll(text, "\t", " "))
		b.WriteString("\n | ")
		b.WriteString(caretPad(text, e.Column))
		b.WriteString("^\n")
	}
	return b.String()
}

// caretPad returns the spaces that put a caret under column col (1-based, in runes).
func caretPad(text string, col int) string {
	n := 0
	for range text {
		if n >= col-1 {
			break
		}
		n++
	}
	if col-1 > n {
		n = col - 1
	}
	return strings.Repeat(" ", n)
}

// errs collects errors while a definition is checked.
type errs struct {
	list []*Error
	seen map[string]bool
}

func (c *errs) add(line, col int, path, format string, args ...any) {
	e := &Error{Line: line, Column: col, Path: path, Message: fmt.Sprintf(format, args...)}
	key := e.Error()
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.list = append(c.list, e)
}

func (c *errs) at(n *node, path, format string, args ...any) {
	line, col := 0, 0
	if n != nil {
		line, col = n.line, n.col
	}
	c.add(line, col, path, format, args...)
}

func (c *errs) result() error {
	if len(c.list) == 0 {
		return nil
	}
	sort.SliceStable(c.list, func(i, j int) bool {
		a, b := c.list[i], c.list[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return &ErrorList{Errors: c.list}
}
