package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/workflows"
)

// TestBadInput sends every slice endpoint the mistakes clients make and checks each
// gets the right status with a problem+json body naming what is wrong.
func TestBadInput(t *testing.T) {
	s := newStack(t)
	s.do("dana", "POST", "/v1/definitions", twoTasks).must(t, http.StatusCreated)
	run := s.do("admin", "POST", "/v1/runs", map[string]any{
		"definition": "equipment-request", "inputs": map[string]any{"employee": "Jo"},
	}).must(t, http.StatusCreated)
	taskID := run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)

	cases := []struct {
		name   string
		user   string
		method string
		path   string
		body   any
		status int
		field  string // a field the problem must name, if any
	}{
		{"no key", "", "GET", "/v1/definitions", nil, 401, ""},
		{"bad key", "hk_notakey", "GET", "/v1/tasks", nil, 401, ""},
		{"member publishes", "alice", "POST", "/v1/definitions", twoTasks, 403, ""},
		{"definition not YAML", "dana", "POST", "/v1/definitions", "key: [unclosed", 422, ""},
		{"unknown definition", "admin", "GET", "/v1/definitions/nope", nil, 404, ""},
		{"unknown version", "admin", "GET", "/v1/definitions/equipment-request/versions/9", nil, 404, ""},
		{"malformed JSON run", "admin", "POST", "/v1/runs", `{"definition":`, 400, ""},
		{"empty body run", "admin", "POST", "/v1/runs", "", 400, ""},
		{"wrong type run", "admin", "POST", "/v1/runs", `{"definition": 7}`, 422, "definition"},
		{"unknown field run", "admin", "POST", "/v1/runs", `{"definition": "equipment-request", "input": {}}`, 422, "input"},
		{"missing definition", "admin", "POST", "/v1/runs", `{"inputs": {}}`, 422, "definition"},
		{"unknown definition run", "admin", "POST", "/v1/runs", `{"definition": "nope"}`, 422, "definition"},
		{"missing input", "admin", "POST", "/v1/runs", `{"definition": "equipment-request", "inputs": {}}`, 422, "inputs.employee"},
		{"wrong input type", "admin", "POST", "/v1/runs", `{"definition": "equipment-request", "inputs": {"employee": 5}}`, 422, "inputs.employee"},
		{"unknown run", "admin", "GET", "/v1/runs/nope-123", nil, 404, ""},
		{"unknown task", "alice", "GET", "/v1/tasks/nope", nil, 404, ""},
		{"unknown task complete", "alice", "POST", "/v1/tasks/nope/complete", `{"data": {}}`, 404, ""},
		{"malformed JSON complete", "alice", "POST", "/v1/tasks/" + taskID + "/complete", `{"data": `, 400, ""},
		{"wrong type complete", "alice", "POST", "/v1/tasks/" + taskID + "/complete", `{"data": []}`, 422, "data"},
		{"not assignee", "audrey", "POST", "/v1/tasks/" + taskID + "/complete", `{"data": {}}`, 403, ""},
		{"not in the run", "mallory", "POST", "/v1/tasks/" + taskID + "/complete", `{"data": {}}`, 404, ""},
		{"not in the run reads", "mallory", "GET", "/v1/tasks/" + taskID, nil, 404, ""},
		{"other inbox", "mallory", "GET", "/v1/tasks?assignee=alice", nil, 403, ""},
		{"bad status", "alice", "GET", "/v1/tasks?status=done", nil, 422, "status"},
		{"bad limit", "alice", "GET", "/v1/tasks?limit=0", nil, 422, "limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fields := s.do(tc.user, tc.method, tc.path, tc.body).problem(t, tc.status)
			if tc.field != "" {
				require.Contains(t, fields, tc.field)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	s := newStack(t)
	require.Equal(t, "ok", s.do("", "GET", "/healthz", nil).must(t, http.StatusOK)["status"])
	require.Equal(t, "ready", s.do("", "GET", "/readyz", nil).must(t, http.StatusOK)["status"])
}

// keyedRun is a definition whose runs take their business key from the request, with a
// text input without max (so only the edge's limits bound it), a wait step for events,
// and a webhook trigger.
const keyedRun = `key: keyed
name: Keyed
summary: "{{ inputs.note }} {{ inputs.note }} {{ inputs.note }}"
inputs:
  - {id: note, type: long_text}
roles:
  reviewer: {user: alice}
triggers:
  - webhook: in
    inputs:
      note: payload.note
steps:
  - id: review
    title: "Review {{ inputs.note }}"
    assignee: reviewer
    form:
      - {id: remark, type: long_text}
  - id: signed
    kind: wait
    event: signed
`

// TestUnstorableText: every entry point refuses a text that cannot be stored (NUL,
// invalid UTF-8) or is beyond the limits with a 422 naming the field — a path parameter
// with a 404 — before anything is written or started; what is accepted stays readable.
func TestUnstorableText(t *testing.T) {
	s := newStack(t, withSecretsKey)
	s.do("dana", "POST", "/v1/definitions", keyedRun).must(t, http.StatusCreated)
	run := s.do("alice", "POST", "/v1/runs", map[string]any{"definition": "keyed", "inputs": map[string]any{"note": "ok"}}).
		must(t, http.StatusCreated)
	runID := run["id"].(string)
	taskID := run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
	_, secret := newSecret(t, s, "keyed", "in")
	hook := sender{t: t, url: s.url + "/v1/hooks/keyed/in", secret: secret}

	nul, bad := "a\u0000b", "caf\xc3"
	rawBody := func(prefix, text, suffix string) []byte { return []byte(prefix + text + suffix) }
	mb := strings.Repeat("x", 1_000_000) // inside the 1 MiB body cap
	big := map[string]any{}
	for i := range 5 {
		big[fmt.Sprintf("f%d", i)] = strings.Repeat("y", 60_000) // 300 kB of inputs in all
	}
	cases := []struct {
		name, user, method, path string
		body                     any
		header                   []string
		status                   int
		field                    string
	}{
		{"NUL in an input", "alice", "POST", "/v1/runs", map[string]any{"definition": "keyed", "inputs": map[string]any{"note": nul}}, nil, 422, "inputs.note"},
		{"invalid UTF-8 in an input", "alice", "POST", "/v1/runs", rawBody(`{"definition": "keyed", "inputs": {"note": "`, bad, `"}}`), nil, 422, "inputs.note"},
		{"1 MB text without max", "alice", "POST", "/v1/runs", map[string]any{"definition": "keyed", "inputs": map[string]any{"note": mb}}, nil, 422, "inputs.note"},
		{"inputs beyond the payload cap", "alice", "POST", "/v1/runs", map[string]any{"definition": "keyed", "inputs": big}, nil, 422, "inputs"},
		{"NUL in a business key", "alice", "POST", "/v1/runs", map[string]any{"definition": "keyed", "business_key": nul}, nil, 422, "business_key"},
		{"invalid UTF-8 in a business key", "alice", "POST", "/v1/runs", rawBody(`{"definition": "keyed", "business_key": "`, bad, `"}`), nil, 422, "business_key"},
		{"1,000-character business key", "alice", "POST", "/v1/runs", map[string]any{"definition": "keyed", "business_key": strings.Repeat("k", 1000)}, nil, 422, "business_key"},
		{"NUL in form data", "alice", "POST", "/v1/tasks/" + taskID + "/complete", map[string]any{"data": map[string]any{"remark": nul}}, nil, 422, "data.remark"},
		{"invalid UTF-8 in form data", "alice", "POST", "/v1/tasks/" + taskID + "/complete", rawBody(`{"data": {"remark": "`, bad, `"}}`), nil, 422, "data.remark"},
		{"NUL in a comment", "alice", "POST", "/v1/tasks/" + taskID + "/complete", map[string]any{"data": map[string]any{}, "comment": nul}, nil, 422, "comment"},
		{"form data beyond the payload cap", "alice", "POST", "/v1/tasks/" + taskID + "/complete", map[string]any{"data": big}, nil, 422, "data"},
		{"NUL in a reassignment comment", "alice", "POST", "/v1/tasks/" + taskID + "/reassign", map[string]any{"to": "bob", "comment": nul}, nil, 422, "comment"},
		{"NUL in event data", "alice", "POST", "/v1/runs/" + runID + "/events/signed", map[string]any{"data": map[string]any{"by": nul}}, nil, 422, "data.by"},
		{"NUL in a reason", "alice", "POST", "/v1/runs/" + runID + "/cancel", map[string]any{"reason": nul}, nil, 422, "reason"},
		{"NUL in a user's name", "admin", "POST", "/v1/users", map[string]any{"id": "zed", "name": nul}, nil, 422, "name"},
		{"invalid UTF-8 in a user's email", "admin", "POST", "/v1/users", rawBody(`{"id": "zed", "name": "Zed", "email": "`, bad+"@x.example", `"}`), nil, 422, "email"},
		{"NUL in schedule inputs", "dana", "POST", "/v1/schedules", map[string]any{"definition": "keyed", "interval": "1h", "inputs": map[string]any{"note": nul}}, nil, 422, "inputs.note"},
		{"NUL in a subscription description", "admin", "POST", "/v1/subscriptions", map[string]any{"url": "https://x.example/h", "events": []string{"run.started"}, "description": nul}, nil, 422, "description"},
		{"NUL in an API key's user", "admin", "POST", "/v1/api-keys", map[string]any{"user": nul}, nil, 422, "user"},
		{"invalid UTF-8 in an Idempotency-Key", "alice", "POST", "/v1/tasks/" + taskID + "/complete", map[string]any{"data": map[string]any{}}, []string{"Idempotency-Key", "k\xff"}, 422, "Idempotency-Key"},
		{"NUL run id", "admin", "GET", "/v1/runs/%00", nil, nil, 404, ""},
		{"invalid UTF-8 run id", "admin", "GET", "/v1/runs/%FF/audit", nil, nil, 404, ""},
		{"overlong run id", "admin", "GET", "/v1/runs/" + strings.Repeat("r", 1001), nil, nil, 404, ""},
		{"NUL task id", "alice", "POST", "/v1/tasks/%00/complete", map[string]any{"data": map[string]any{}}, nil, 404, ""},
		{"NUL in a query", "admin", "GET", "/v1/runs?definition=%00", nil, nil, 422, "definition"},
		{"invalid UTF-8 in a query", "alice", "GET", "/v1/tasks?definition=%FF", nil, nil, 422, "definition"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fields := s.do(tc.user, tc.method, tc.path, tc.body, tc.header...).problem(t, tc.status)
			if tc.field != "" {
				require.Contains(t, fields, tc.field)
			}
		})
	}
	// Webhook payloads: after mapping, naming the input; bytes that are not UTF-8 anywhere.
	d := hook.deliver("msg_nul", []byte(`{"note": "a\u0000b"}`))
	require.Equal(t, http.StatusUnprocessableEntity, d.status, d.raw)
	require.Contains(t, d.raw, `"field":"inputs.note"`)
	d = hook.deliver("msg_utf8", []byte(`{"note": "ok", "extra": {"name": "caf`+"\xc3"+`"}}`))
	require.Equal(t, http.StatusUnprocessableEntity, d.status, d.raw)
	require.Contains(t, d.raw, `"field":"payload.extra.name"`)
	d = hook.deliver("msg_big", []byte(`{"note": "`+strings.Repeat("z", 70_000)+`"}`))
	require.Equal(t, http.StatusUnprocessableEntity, d.status, d.raw)
	require.Contains(t, d.raw, `"field":"inputs.note"`)

	// Nothing was started, written or recorded.
	runs := s.do("admin", "GET", "/v1/runs", nil).must(t, http.StatusOK)["runs"].([]any)
	require.Len(t, runs, 1, "only the first run exists")
	s.do("admin", "GET", "/v1/users/zed", nil).problem(t, http.StatusNotFound)
	require.Equal(t, 0, deliveries(t, s, "keyed"))
	require.Empty(t, s.do("dana", "GET", "/v1/schedules", nil).must(t, http.StatusOK)["schedules"])
	state := s.do("alice", "GET", "/v1/runs/"+runID, nil).must(t, http.StatusOK)
	require.Equal(t, "running", state["status"], "the refused completion and cancel changed nothing")

	// At the limits, a run is accepted and stays readable; its summary is clipped for
	// Temporal's 400-byte summary.
	edge := strings.Repeat("é", api.MaxTextBytes/2) // 64 KiB exactly
	at := s.do("alice", "POST", "/v1/runs", map[string]any{"definition": "keyed", "inputs": map[string]any{"note": edge}}).
		must(t, http.StatusCreated)
	got := s.do("alice", "GET", "/v1/runs/"+at["id"].(string), nil).must(t, http.StatusOK)
	require.Equal(t, edge, got["inputs"].(map[string]any)["note"])
	inbox := s.do("alice", "GET", "/v1/tasks?assignee=me", nil).must(t, http.StatusOK)["tasks"].([]any)
	require.Len(t, inbox, 2)
	for _, task := range inbox {
		title := task.(map[string]any)["title"].(string)
		require.LessOrEqual(t, utf8.RuneCountInString(title), workflows.MaxTitleRunes, "rendered titles are clipped")
	}
	require.LessOrEqual(t, utf8.RuneCountInString(got["summary"].(string)), workflows.MaxTitleRunes)
}
