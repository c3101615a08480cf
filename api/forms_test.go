package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	must "github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/definitions"
)

// TestFormFieldShape: FormField has every member of the language's field, and a field
// converted from the language reads the same as one decoded from its stored JSON (the
// inbox projection's form), so the two ways to a FormField agree.
func TestFormFieldShape(t *testing.T) {
	t.Parallel()
	jsonNames := func(typ reflect.Type) map[string]bool {
		names := map[string]bool{}
		for i := range typ.NumField() {
			tag := typ.Field(i).Tag.Get("json")
			if name, _, _ := strings.Cut(tag, ","); name != "" && name != "-" {
				names[name] = true
			}
		}
		return names
	}
	api := jsonNames(reflect.TypeFor[FormField]())
	for name := range jsonNames(reflect.TypeFor[definitions.Field]()) {
		must.True(t, api[name], "FormField has the language's field member %q", name)
	}

	one, two := 1.0, 10.0
	f := definitions.Field{ID: "items", Label: "Items", Type: definitions.TypeTable, Help: "h", Required: true,
		Default: []any{}, Min: &one, Max: &two, VisibleWhen: "inputs.x",
		Validate: []definitions.Rule{{Expr: "size(form.items) > 0", Message: "add one"}},
		Fields: []definitions.Field{
			{ID: "kind", Type: definitions.TypeSelect, Pattern: "[a-z]+",
				Options: []definitions.Option{{Value: "a", Label: "A"}, {Value: "b"}}},
		}}
	stored, err := json.Marshal(f)
	must.NoError(t, err)
	var decoded FormField
	must.NoError(t, json.Unmarshal(stored, &decoded))
	must.Equal(t, decoded, formField(f))
}

func TestOutcomeLabel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"approved": "Approve", "rejected": "Reject", "completed": "Complete",
		"retry": "Retry", "skip": "Skip", "edit": "Edit and retry",
		"needs_info": "Needs info", "send-back": "Send back", "élan": "Élan", "hire": "Hire",
	} {
		must.Equal(t, want, outcomeLabel(in), in)
	}
}

// TestAsProblem: a problem stays itself, a store error maps, an unknown error is an
// internal 500 that says nothing of its cause.
func TestAsProblem(t *testing.T) {
	t.Parallel()
	p, internal := AsProblem(invalid("bad", FieldError{Field: "data.x", Message: "is required"}))
	must.False(t, internal)
	must.Equal(t, 422, p.Status)
	must.Equal(t, []FieldError{{Field: "data.x", Message: "is required"}}, p.Errors)

	p, internal = AsProblem(json.Unmarshal([]byte("{"), &struct{}{}))
	must.True(t, internal)
	must.Equal(t, 500, p.Status)
	must.NotContains(t, p.Detail, "JSON")

	body, err := json.Marshal(&Problem{Type: "about:blank", Title: "x", Status: 422,
		DefinitionErrors: []DefinitionError{{Line: 1, Column: 2, Message: "m"}}})
	must.NoError(t, err)
	must.JSONEq(t, `{"type":"about:blank","title":"x","status":422,"errors":[{"line":1,"column":2,"message":"m"}]}`, string(body))
}
