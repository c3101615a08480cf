package participant

import (
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/handoffhq/handoff/definitions"
)

// filler makes valid values for form fields: for each field, candidates that meet its
// type, options, min and max, and pattern, best first. A value a `validate` rule refuses
// is replaced by the field's next candidate.
type filler struct {
	// users are the directory's users for user fields, the most useful first (those with
	// a manager, so that a role "manager of" the chosen user resolves).
	users []string
	// date is the day date fields are given: ahead of now, so that deadlines computed
	// from it are still to come.
	date time.Time
}

// form fills every field of a form (visible or not: a hidden field's value is dropped
// by the run), taking for each the candidate pick names (0 when absent).
func (f *filler) form(fields []definitions.Field, pick map[string]int) map[string]any {
	out := map[string]any{}
	for _, fd := range fields {
		c := f.candidates(fd)
		if len(c) == 0 {
			continue
		}
		out[fd.ID] = c[pick[fd.ID]%len(c)]
	}
	return out
}

// candidates are valid values of a field, best first.
func (f *filler) candidates(fd definitions.Field) []any {
	var out []any
	if fd.Default != nil && fd.Type != definitions.TypeTable {
		out = append(out, fd.Default)
	}
	switch fd.Type {
	case definitions.TypeNumber:
		for _, n := range numbers(fd.Min, fd.Max) {
			out = append(out, n)
		}
	case definitions.TypeBoolean:
		out = append(out, true, false)
	case definitions.TypeDate:
		out = append(out, f.date.Format(time.DateOnly))
	case definitions.TypeDatetime:
		out = append(out, f.date.Add(9*time.Hour).Format(time.RFC3339))
	case definitions.TypeSelect:
		for _, o := range fd.Options {
			out = append(out, o.Value)
		}
	case definitions.TypeMultiSelect:
		n := max(1, int(ptrOr(fd.Min, 1)))
		var pick []any
		for i := 0; i < n && i < len(fd.Options); i++ {
			pick = append(pick, fd.Options[i].Value)
		}
		out = append(out, pick)
	case definitions.TypeEmail:
		out = append(out, strings.ReplaceAll(fd.ID, "_", ".")+"@example.com")
	case definitions.TypeURL:
		out = append(out, "https://example.com/"+fd.ID)
	case definitions.TypeUser:
		for _, u := range f.users {
			out = append(out, u)
		}
	case definitions.TypeFile:
		out = append(out, map[string]any{"url": "https://files.example.com/" + fd.ID + ".pdf",
			"checksum": "sha256:" + strings.Repeat("ab", 32), "name": fd.ID + ".pdf"})
	case definitions.TypeTable:
		n := max(1, int(ptrOr(fd.Min, 1)))
		rows := make([]any, 0, n)
		for range n {
			rows = append(rows, f.form(fd.Fields, nil))
		}
		out = append(out, rows)
	default: // text, long_text
		out = append(out, text(fd))
	}
	return out
}

// numbers are numbers within [min, max], best first.
func numbers(minV, maxV *float64) []float64 {
	lo, hi := math.Inf(-1), math.Inf(1)
	if minV != nil {
		lo = *minV
	}
	if maxV != nil {
		hi = *maxV
	}
	var out []float64
	for _, n := range []float64{100, 1, 0, 10, 1000, lo, hi, math.Floor((lo + hi) / 2)} {
		if n >= lo && n <= hi && !math.IsInf(n, 0) && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func ptrOr(p *float64, v float64) float64 {
	if p == nil {
		return v
	}
	return *p
}

// text is a text field's value: one matching its pattern, of a length within min and max.
func text(fd definitions.Field) string {
	s := "Sample " + strings.ToLower(strings.ReplaceAll(fd.ID, "_", " "))
	if fd.Type == definitions.TypeLongText {
		s += ", written out in a few words by the participant driver."
	}
	if fd.Pattern != "" {
		if m, err := matching(fd.Pattern); err == nil {
			s = m
		}
	}
	if fd.Min != nil {
		for len([]rune(s)) < int(*fd.Min) {
			s += "x"
		}
	}
	if fd.Max != nil && len([]rune(s)) > int(*fd.Max) {
		s = string([]rune(s)[:int(*fd.Max)])
	}
	return s
}

// matching returns a short text that the whole of pattern (RE2) matches.
func matching(pattern string) (string, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	generate(&b, re.Simplify())
	s := b.String()
	if !regexp.MustCompile(`^(?:` + pattern + `)$`).MatchString(s) {
		return "", fmt.Errorf("cannot make a text matching %q (made %q)", pattern, s)
	}
	return s, nil
}

func generate(b *strings.Builder, re *syntax.Regexp) {
	switch re.Op {
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
	case syntax.OpCharClass:
		b.WriteRune(classRune(re.Rune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte('x')
	case syntax.OpCapture:
		generate(b, re.Sub[0])
	case syntax.OpPlus:
		generate(b, re.Sub[0])
	case syntax.OpRepeat:
		for range re.Min {
			generate(b, re.Sub[0])
		}
	case syntax.OpConcat:
		for _, s := range re.Sub {
			generate(b, s)
		}
	case syntax.OpAlternate:
		generate(b, re.Sub[0])
	}
	// OpStar, OpQuest, OpEmptyMatch and the anchors add nothing.
}

// classRune picks a character of a class, a letter or digit where the class has one.
func classRune(ranges []rune) rune {
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1] && r < ranges[i]+128; r++ {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return r
			}
		}
	}
	return ranges[0]
}
