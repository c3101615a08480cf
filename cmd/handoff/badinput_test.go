package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
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
