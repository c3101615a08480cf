package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTemporalWebView: what operators see in Temporal Web, checked through the Temporal
// CLI on the dev server: the static summary from the definition's template, current
// details in Markdown, the search attributes, and the state query answering what
// GET /v1/runs/{id} answers.
func TestTemporalWebView(t *testing.T) {
	s := newStack(t)
	s.do("dana", "POST", "/v1/definitions", twoTasks).must(t, http.StatusCreated)
	run := s.do("admin", "POST", "/v1/runs", map[string]any{
		"definition": "equipment-request", "inputs": map[string]any{"employee": "Jane Doe"},
	}).must(t, http.StatusCreated)
	id := run["id"].(string)

	describe := temporalCLI(t, "workflow", "describe", "--workflow-id", id)
	require.Contains(t, describe, `StaticSummary  "Equipment for Jane Doe"`)
	for _, attr := range []string{"HandoffDefinition", "HandoffVersion", "HandoffOpenSteps", "HandoffAssignees"} {
		require.Contains(t, describe, attr)
	}

	meta := temporalCLI(t, "workflow", "metadata", "--workflow-id", id)
	require.Contains(t, meta, "Current Details:")
	require.Contains(t, meta, "| Pick equipment for Jane Doe (`details`) | alice | — |", "open tasks and assignees in Markdown")

	out := temporalCLI(t, "workflow", "query", "--workflow-id", id, "--name", "state", "--output", "json")
	var q struct {
		QueryResult []map[string]any `json:"queryResult"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &q), out)
	require.Len(t, q.QueryResult, 1)
	api := s.do("admin", "GET", "/v1/runs/"+id, nil).must(t, http.StatusOK)
	for _, k := range []string{"id", "definition", "status", "started_by", "summary"} {
		require.Equal(t, api[k], q.QueryResult[0][k], k)
	}
	require.Equal(t, len(api["open_tasks"].([]any)), len(q.QueryResult[0]["open_tasks"].([]any)))
	require.True(t, strings.HasPrefix(id, "equipment-request-"), "the run id is the readable workflow id")
}
