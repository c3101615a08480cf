package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// signupDef maps a sign-up form's payload: a name from two parts, a required email and
// an optional phone; `when` reads a field not every delivery has.
const signupDef = `key: signup
name: Sign-up
inputs:
  - {id: name, type: text, required: true}
  - {id: email, type: email, required: true}
  - {id: phone, type: text}
roles:
  sales: {group: sales}
triggers:
  - webhook: form
    when: payload.form.kind == "signup"
    inputs:
      name: payload.first + " " + payload.last
      email: payload.email
      phone: payload.phone
steps:
  - {id: call, title: "Call {{ inputs.name }}", assignee: sales}
`

// TestWebhookMapping (issue 13 item 9): an optional input whose payload field is absent
// is simply absent; a `when` that reads an absent field is ignored, not a 422; a payload
// that does not map is a 422 naming every input at fault, mapping and value errors alike.
func TestWebhookMapping(t *testing.T) {
	s := newStack(t, withSecretsKey)
	s.do("dana", "POST", "/v1/definitions", signupDef).must(t, http.StatusCreated)
	_, secret := newSecret(t, s, "signup", "form")
	snd := sender{t: t, url: s.url + "/v1/hooks/signup/form", secret: secret}

	ok := snd.deliver("msg_ok", []byte(`{"form": {"kind": "signup"}, "first": "Jo", "last": "Ng", "email": "jo@example.com"}`))
	require.Equal(t, http.StatusAccepted, ok.status, ok.raw)
	require.Equal(t, false, ok.body["ignored"])
	run := s.do("admin", "GET", "/v1/runs/"+ok.body["run_id"].(string), nil).must(t, http.StatusOK)
	require.Equal(t, map[string]any{"name": "Jo Ng", "email": "jo@example.com"}, run["inputs"], "no phone, no phone input")
	require.Equal(t, "webhook:form", run["started_by"])

	ignored := snd.deliver("msg_other", []byte(`{"first": "Jo"}`))
	require.Equal(t, http.StatusAccepted, ignored.status, ignored.raw)
	require.Equal(t, map[string]any{"run_id": "", "duplicate": false, "ignored": true}, ignored.body)

	bad := snd.deliver("msg_bad", []byte(`{"form": {"kind": "signup"}, "first": "Jo", "last": 7, "email": "not-an-email", "phone": 5}`))
	require.Equal(t, http.StatusUnprocessableEntity, bad.status, bad.raw)
	fields := map[string]bool{}
	for _, e := range bad.body["errors"].([]any) {
		fields[e.(map[string]any)["field"].(string)] = true
	}
	require.Equal(t, map[string]bool{"inputs.name": true, "inputs.email": true, "inputs.phone": true}, fields,
		"the name that does not map and the values that are not valid, together")
	require.Equal(t, 1, countRuns(t, s, "signup"))
}
