package definitions

import (
	"testing"

	"github.com/stretchr/testify/require"
)

const formSrc = `
key: forms
steps:
  - id: order
    assignee: requester
    form:
      - {id: title, type: text, required: true, min: 3, max: 10, pattern: "[A-Z].*"}
      - {id: notes, type: long_text}
      - {id: amount, type: number, required: true, min: 1, max: 1000}
      - {id: rush, type: boolean, default: false}
      - {id: reason, type: text, required: true, visible_when: form.rush}
      - {id: due, type: date}
      - {id: at, type: datetime}
      - {id: kind, type: select, options: [goods, services], default: goods}
      - {id: tags, type: multi_select, options: [a, b, c], max: 2}
      - {id: contact, type: email}
      - {id: site, type: url}
      - {id: owner, type: user}
      - {id: quote, type: file}
      - id: lines
        type: table
        min: 1
        fields:
          - {id: item, type: text, required: true}
          - {id: qty, type: number, required: true, validate: [{expr: "row.qty > 0", message: "must be positive"}]}
        validate:
          - expr: form.lines.all(l, l.qty <= form.amount)
            message: a line exceeds the amount
    `

func validateOrder(t *testing.T, data map[string]any) (map[string]any, []FieldError) {
	t.Helper()
	p := mustCompile(t, formSrc)
	return NewEngine().ValidateForm(p, p.Step("order").Form, data, Vars{Now: testNow})
}

func TestValidateFormValid(t *testing.T) {
	t.Parallel()
	data := map[string]any{"title": "Paper", "amount": 12.0, "reason": "hidden, dropped",
		"due": "2027-02-01", "at": "2027-02-01T10:00:00Z", "tags": []any{"a", "c"},
		"contact": "jane@example.com", "site": "https://example.com", "owner": "bob",
		"quote": map[string]any{"url": "https://files.example.com/q.pdf", "checksum": "sha256:ab12"},
		"lines": []any{map[string]any{"item": "A4", "qty": 2.0}}}
	cleaned, errs := validateOrder(t, data)
	require.Nil(t, errs)
	require.Equal(t, false, cleaned["rush"])
	require.Equal(t, "goods", cleaned["kind"])
	require.NotContains(t, cleaned, "reason")
	require.NotContains(t, cleaned, "notes")
	require.Equal(t, "Paper", cleaned["title"])
}

func TestValidateFormErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data map[string]any
		want []FieldError
	}{
		{"required", map[string]any{}, []FieldError{{"title", "is required"}, {"amount", "is required"}}},
		{"unknown key", map[string]any{"title": "Abc", "amount": 1.0, "zzz": 1, "aaa": 2},
			[]FieldError{{"aaa", "unknown field"}, {"zzz", "unknown field"}}},
		{"text bounds", map[string]any{"title": "Ab", "amount": 1.0}, []FieldError{{"title", "must be at least 3 characters"}}},
		{"text pattern", map[string]any{"title": "abc", "amount": 1.0}, []FieldError{{"title", "must match the pattern [A-Z].*"}}},
		{"text type", map[string]any{"title": 5.0, "amount": 1.0}, []FieldError{{"title", "must be text"}}},
		{"number type", map[string]any{"title": "Abc", "amount": "5"}, []FieldError{{"amount", "must be a number"}}},
		{"number max", map[string]any{"title": "Abc", "amount": 1001.0}, []FieldError{{"amount", "must be at most 1000"}}},
		{"boolean", map[string]any{"title": "Abc", "amount": 1.0, "rush": "yes"},
			[]FieldError{{"rush", "must be true or false"}}},
		{"visible required", map[string]any{"title": "Abc", "amount": 1.0, "rush": true},
			[]FieldError{{"reason", "is required"}}},
		{"date", map[string]any{"title": "Abc", "amount": 1.0, "due": "01/02/2027", "at": "2027-01-01"},
			[]FieldError{{"due", "must be a date written YYYY-MM-DD"}, {"at", "must be a date and time such as 2027-01-04T09:00:00Z"}}},
		{"select", map[string]any{"title": "Abc", "amount": 1.0, "kind": "other"},
			[]FieldError{{"kind", "must be one of: goods, services"}}},
		{"multi", map[string]any{"title": "Abc", "amount": 1.0, "tags": []any{"a", "b", "c"}},
			[]FieldError{{"tags", "must be at most 2 choices"}}},
		{"multi option", map[string]any{"title": "Abc", "amount": 1.0, "tags": []any{"x"}},
			[]FieldError{{"tags", "x is not one of: a, b, c"}}},
		{"email url", map[string]any{"title": "Abc", "amount": 1.0, "contact": "jane", "site": "ftp://x"},
			[]FieldError{{"contact", "must be an email address"}, {"site", "must be an http or https URL"}}},
		{"file", map[string]any{"title": "Abc", "amount": 1.0, "quote": map[string]any{"url": "https://x.org/a"}},
			[]FieldError{{"quote", "must have a checksum such as sha256:<hex digits>"}}},
		{"table rows", map[string]any{"title": "Abc", "amount": 5.0, "lines": []any{
			map[string]any{"item": "A", "qty": 0.0}, map[string]any{"qty": 9.0, "x": 1}}},
			[]FieldError{{"lines[0].qty", "must be positive"}, {"lines[1].x", "unknown field"},
				{"lines[1].item", "is required"}, {"lines", "a line exceeds the amount"}}},
		{"table min", map[string]any{"title": "Abc", "amount": 5.0, "lines": []any{}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, errs := validateOrder(t, tt.data)
			require.Equal(t, tt.want, errs)
		})
	}
}
