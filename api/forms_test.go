package api

import (
	"encoding/json"
	"net/http"
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

// orderDefinition's start form shows fields by what is typed: a desk only on site, a
// justification above 100, and per table row a reason only for urgent lines.
const orderDefinition = `key: order
name: Order
inputs:
  - {id: remote, type: boolean, required: true}
  - {id: desk, type: text, required: true, visible_when: "!form.remote"}
  - id: amount
    type: number
    validate:
      - {expr: "form.amount <= 1000", message: must be at most 1000}
  - {id: why, type: long_text, required: true, visible_when: "form.amount > 100"}
  - id: lines
    type: table
    fields:
      - {id: item, type: text, required: true}
      - {id: urgent, type: boolean}
      - {id: reason, type: text, required: true, visible_when: "row.urgent"}
steps:
  - {id: buy, title: Buy, assignee: requester}
`

// TestResolveStartForm: the start form resolved against draft inputs shows and hides
// fields as they are typed, and its errors are exactly what starting the run answers.
func TestResolveStartForm(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	ts.publish(orderDefinition)
	resolve := func(inputs map[string]any) (visible map[string]bool, hidden []string, errs map[string]string) {
		t.Helper()
		res := ts.do("mallory", "POST", "/v1/definitions/order/form", map[string]any{"inputs": inputs}, nil)
		must.Equal(t, http.StatusOK, res.status, res.raw)
		visible = map[string]bool{}
		for _, f := range res.body["fields"].([]any) {
			visible[f.(map[string]any)["id"].(string)] = f.(map[string]any)["visible"].(bool)
		}
		for _, h := range res.body["hidden"].([]any) {
			hidden = append(hidden, h.(string))
		}
		errs = map[string]string{}
		for _, e := range res.body["errors"].([]any) {
			errs[e.(map[string]any)["field"].(string)] = e.(map[string]any)["message"].(string)
		}
		must.Equal(t, len(errs) == 0, res.body["valid"], res.raw)
		return visible, hidden, errs
	}

	visible, hidden, errs := resolve(map[string]any{"remote": true})
	must.Equal(t, map[string]bool{"remote": true, "desk": false, "amount": true, "why": false, "lines": true}, visible)
	must.Equal(t, []string{"inputs.desk", "inputs.why"}, hidden, "why reads an absent amount: hidden, as on submit")
	must.Empty(t, errs)

	draft := map[string]any{"remote": false, "amount": 2000, "lines": []any{
		map[string]any{"item": "chair"}, map[string]any{"item": "desk", "urgent": true}}}
	visible, hidden, errs = resolve(draft)
	must.True(t, visible["desk"])
	must.True(t, visible["why"])
	must.Equal(t, []string{"inputs.lines[0].reason"}, hidden)
	must.Equal(t, map[string]string{"inputs.desk": "is required", "inputs.amount": "must be at most 1000",
		"inputs.why": "is required", "inputs.lines[1].reason": "is required"}, errs)

	// Starting the run with the same inputs is refused for the same reasons.
	start := ts.do("mallory", "POST", "/v1/runs", map[string]any{"definition": "order", "inputs": draft}, nil)
	must.Equal(t, errs, start.problem(t, http.StatusUnprocessableEntity))

	_, _, errs = resolve(map[string]any{"remote": false, "desk": "A4", "amount": 50})
	must.Empty(t, errs)

	ts.do("mallory", "POST", "/v1/definitions/none/form", map[string]any{}, nil).problem(t, http.StatusNotFound)
	must.Contains(t, ts.do("mallory", "POST", "/v1/definitions/order/form", map[string]any{"version": 9}, nil).
		problem(t, http.StatusUnprocessableEntity), "version")
	must.Contains(t, ts.do("mallory", "POST", "/v1/definitions/order/form", map[string]any{"data": map[string]any{}}, nil).
		problem(t, http.StatusUnprocessableEntity), "data", "an unknown member is named")
	ts.do("", "POST", "/v1/definitions/order/form", map[string]any{}, nil).problem(t, http.StatusUnauthorized)
}

func TestFieldMessages(t *testing.T) {
	t.Parallel()
	must.Equal(t, map[string]string{"amount": "is required", "items[0].qty": "must be 1 or more; must be whole",
		"outcome": "is required: choose one of hire, reject"},
		FieldMessages([]FieldError{{"data.amount", "is required"}, {"data.items[0].qty", "must be 1 or more"},
			{"data.items[0].qty", "must be whole"}, {"outcome", "is required: choose one of hire, reject"}}, "data."))
	must.Empty(t, FieldMessages(nil, "data."))
}
