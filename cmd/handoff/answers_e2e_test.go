package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBriefAnswersFilled: from interpreter version 3 the run answers the settle and
// complete Updates briefly (workflows/brief.go) and the API fills in the rest from the
// inbox projection (api/brief.go). What the API answers is what it answered from the
// whole state: the 201 of POST /v1/runs is GET /v1/runs/{id}, and a completion's open
// tasks are the run's, with their titles, forms, outcomes and an approval's votes.
func TestBriefAnswersFilled(t *testing.T) {
	s := newStack(t)
	s.do("dana", "POST", "/v1/definitions", choicesDef).must(t, http.StatusCreated)
	started := s.do("mallory", "POST", "/v1/runs", map[string]any{"definition": "choices",
		"business_key": "brief-1"}).must(t, http.StatusCreated)
	id := started["id"].(string)
	got := s.do("mallory", "GET", "/v1/runs/"+id, nil).must(t, http.StatusOK)
	require.NotEmpty(t, started["temporal"].(map[string]any)["run_id"])
	delete(started, "temporal")
	delete(got, "temporal")
	require.Equal(t, micros(got), micros(started), "the 201 is the run as it stands")
	screen := started["open_tasks"].([]any)[0].(map[string]any)
	require.Equal(t, "Screen the candidate", screen["title"])
	require.Len(t, screen["form"], 3)

	done := s.do("mallory", "POST", "/v1/tasks/"+screen["id"].(string)+"/complete",
		map[string]any{"data": map[string]any{"remote": true, "salary": 80000}, "outcome": "hire"}).must(t, http.StatusOK)
	task := done["task"].(map[string]any)
	require.Equal(t, "completed", task["status"])
	require.Equal(t, "hire", task["outcome"])
	require.Equal(t, "mallory", task["completed_by"])
	require.Equal(t, "Screen the candidate", task["title"])
	require.Equal(t, screen["form"], task["form"])
	require.Equal(t, map[string]any{"remote": true, "salary": float64(80000)}, task["data"])
	row := s.do("mallory", "GET", "/v1/tasks/"+screen["id"].(string), nil).must(t, http.StatusOK)
	for _, k := range []string{"id", "run_id", "step_id", "definition", "title", "kind", "status", "assignees",
		"candidate_groups", "outcome", "data", "completed_by"} {
		require.Equal(t, row[k], task[k], k)
	}
	now := s.do("admin", "GET", "/v1/runs/"+id, nil).must(t, http.StatusOK)
	require.Equal(t, micros(now["open_tasks"]), micros(done["run"].(map[string]any)["open_tasks"]),
		"the completion's open tasks are the run's")

	// A vote that does not decide the approval answers the approval still open, with the vote.
	board := done["run"].(map[string]any)["open_tasks"].([]any)[0].(map[string]any)
	voted := s.do("alice", "POST", "/v1/tasks/"+board["id"].(string)+"/complete",
		map[string]any{"outcome": "approved", "comment": "yes"}).must(t, http.StatusOK)
	open := voted["task"].(map[string]any)
	require.Equal(t, "open", open["status"])
	require.Len(t, open["approval"].(map[string]any)["votes"], 1)
	now = s.do("admin", "GET", "/v1/runs/"+id, nil).must(t, http.StatusOK)
	require.Equal(t, micros(now["open_tasks"]), micros(voted["run"].(map[string]any)["open_tasks"]))
	require.Equal(t, micros(now["open_tasks"].([]any)[0]), micros(open))
}

// micros rounds every time in a decoded answer down to the microsecond: the projection
// stores times as Postgres does.
func micros(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = micros(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = micros(e)
		}
		return out
	case string:
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t.Truncate(time.Microsecond).UTC().Format(time.RFC3339Nano)
		}
	}
	return v
}
