package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDefinitionReportAPI reads the report of a definition after one run went through
// it, and every way of asking for one wrongly. (The SQL itself is checked on seeded
// rows in postgres/reports_test.go.)
func TestDefinitionReportAPI(t *testing.T) {
	s := newStack(t)
	s.do("dana", "POST", "/v1/definitions", twoTasks).must(t, http.StatusCreated)
	run := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "equipment-request",
		"inputs": map[string]any{"employee": "Jo"}}).must(t, http.StatusCreated)
	first := run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
	done := s.do("alice", "POST", "/v1/tasks/"+first+"/complete", map[string]any{
		"data": map[string]any{"laptop": "X1", "monitors": 1}}).must(t, http.StatusOK)
	second := done["run"].(map[string]any)["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
	s.do("bob", "POST", "/v1/tasks/"+second+"/complete", map[string]any{"data": map[string]any{"cost": 1200}}).
		must(t, http.StatusOK)

	rep := s.do("dana", "GET", "/v1/reports/definitions/equipment-request", nil).must(t, http.StatusOK)
	require.Equal(t, "equipment-request", rep["definition"])
	from, err := time.Parse(time.RFC3339, rep["from"].(string))
	require.NoError(t, err)
	to, err := time.Parse(time.RFC3339, rep["to"].(string))
	require.NoError(t, err)
	require.Equal(t, 30*24*time.Hour, to.Sub(from), "the default window is the last 30 days")
	require.Equal(t, map[string]any{"started": 1.0, "running": 0.0, "completed": 1.0, "failed": 0.0, "cancelled": 0.0}, rep["runs"])
	require.NotNil(t, rep["cycle_time"].(map[string]any)["p50_seconds"])
	steps := rep["steps"].([]any)
	require.Len(t, steps, 2)
	for i, name := range []string{"details", "budget"} {
		st := steps[i].(map[string]any)
		require.Equal(t, name, st["step"])
		require.EqualValues(t, 1, st["tasks"])
		require.EqualValues(t, 0, st["rework"])
		require.NotNil(t, st["wait"].(map[string]any)["p90_seconds"])
	}

	old := s.do("admin", "GET", "/v1/reports/definitions/equipment-request?from=2001-01-01&to=2001-01-31", nil).must(t, http.StatusOK)
	require.Equal(t, "2001-02-01T00:00:00Z", old["to"], "a date as to includes that day")
	require.Equal(t, 0.0, old["runs"].(map[string]any)["started"])
	require.Nil(t, old["cycle_time"].(map[string]any)["p50_seconds"])
	require.Empty(t, old["steps"])

	tests := []struct {
		name, user, query string
		status            int
		field             string
	}{
		{"no key", "", "", http.StatusUnauthorized, ""},
		{"a member", "mallory", "", http.StatusForbidden, ""},
		{"bad from", "dana", "?from=yesterday", http.StatusUnprocessableEntity, "from"},
		{"bad to", "dana", "?to=31/01/2027", http.StatusUnprocessableEntity, "to"},
		{"from after to", "dana", "?from=2027-02-01&to=2027-01-01", http.StatusUnprocessableEntity, "from"},
		{"from equal to", "dana", "?from=2027-01-01T00:00:00Z&to=2027-01-01T00:00:00Z", http.StatusUnprocessableEntity, "from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := s.do(tt.user, "GET", "/v1/reports/definitions/equipment-request"+tt.query, nil).problem(t, tt.status)
			if tt.field != "" {
				require.Contains(t, fields, tt.field)
			}
		})
	}
	s.do("dana", "GET", "/v1/reports/definitions/no-such-definition", nil).problem(t, http.StatusNotFound)
}
