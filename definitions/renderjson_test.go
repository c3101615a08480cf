package definitions

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEngineRenderJSON: a body value that is exactly one expression keeps its JSON type;
// text with several parts, or with literal text around the expression, stays a string.
func TestEngineRenderJSON(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, engineSrc)
	e := NewEngine()
	tests := []struct {
		tmpl string
		want any
	}{
		{"plain", "plain"},
		{"{{ inputs.amount }}", 6000.0},
		{"{{inputs.amount / 4}}", 1500.0},
		{"{{ inputs.amount > 5000 }}", true},
		{"{{ steps.review.data.ok }}", true},
		{"{{ inputs.name }}", "Jane"},
		{"{{ inputs.tags }}", []any{"a"}},
		{"{{ inputs.items.map(i, i.qty) }}", []any{2.0, 3.0}},
		{`{{ {"n": inputs.amount, "when": inputs.start_date} }}`, map[string]any{"n": 6000.0, "when": "2027-01-11"}},
		{"{{ null }}", nil},
		{"{{ inputs.start_date }}", "2027-01-11"},
		{"{{ now }}", "2027-01-04T10:30:00+01:00"},
		{"{{ inputs.amount }} EUR", "6000 EUR"},
		{" {{ inputs.amount }}", " 6000"},
		{"{{ inputs.amount }}{{ inputs.amount }}", "60006000"},
		{"{{ inputs.tags }} and more", "a and more"},
	}
	for _, tt := range tests {
		got, err := e.RenderJSON(p, tt.tmpl, engineVars())
		require.NoError(t, err, tt.tmpl)
		require.Equal(t, tt.want, got, tt.tmpl)
	}
	_, err := e.RenderJSON(p, "{{ inputs.nope }}", engineVars())
	require.ErrorContains(t, err, "undefined field")
	v := engineVars()
	v.Steps = nil
	_, err = e.RenderJSON(p, "{{ steps.review.data.ok }}", v)
	require.ErrorContains(t, err, "render {{ steps.review.data.ok }}", "a value that is not there fails the render")
}

// TestEngineSaveFields: the fields that stand in for an http step's saved data are typed
// by what each save expression yields.
func TestEngineSaveFields(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `key: saves
steps:
  - id: call
    kind: http
    url: https://erp.example.com/po
    save:
      po_number: response.body.po_number
      created: response.status == 201
      code: response.status
      items: size(response.body.items)
      label: string(response.body.id)
      at: timestamp(response.body.at)
`)
	got := NewEngine().SaveFields(p, p.Step("call"))
	types := map[string]string{}
	var ids []string
	for _, f := range got {
		types[f.ID] = f.Type
		ids = append(ids, f.ID)
	}
	require.Equal(t, []string{"po_number", "created", "code", "items", "label", "at"}, ids, "in source order")
	require.Equal(t, map[string]string{"po_number": TypeText, "created": TypeBoolean, "code": TypeNumber,
		"items": TypeNumber, "label": TypeText, "at": TypeDatetime}, types)
	require.Empty(t, NewEngine().SaveFields(p, &Step{ID: "x", Kind: KindNotify}))
}
