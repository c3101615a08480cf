package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

const probationDef = `key: probation
name: Probation
steps:
  - {id: probation_wait, kind: wait, for: 4 weeks}
  - {id: done, kind: end, outcome: confirmed}
`

// TestExpediteEndsAWait: an admin ends a four-week wait with a reason; the run goes on at
// once and the audit trail says who, when and why. Others may not; a reason is required;
// a step that is not a wait, or not waited at, is refused.
func TestExpediteEndsAWait(t *testing.T) {
	s := newStack(t)
	s.do("dana", "POST", "/v1/definitions", probationDef).must(t, http.StatusCreated)
	run := s.do("alice", "POST", "/v1/runs", map[string]any{"definition": "probation"}).must(t, http.StatusCreated)
	id := run["id"].(string)
	path := "/v1/runs/" + id + "/steps/probation_wait/expedite"

	s.do("alice", "POST", path, map[string]any{"reason": "mine"}).problem(t, http.StatusForbidden)
	require.Contains(t, s.do("admin", "POST", path, map[string]any{"reason": " "}).problem(t, http.StatusUnprocessableEntity), "reason")
	s.do("admin", "POST", "/v1/runs/"+id+"/steps/done/expedite", map[string]any{"reason": "r"}).problem(t, http.StatusUnprocessableEntity)
	s.do("admin", "POST", "/v1/runs/nope/steps/done/expedite", map[string]any{"reason": "r"}).problem(t, http.StatusNotFound)

	res := s.do("admin", "POST", path, map[string]any{"reason": "probation waived by HR"}).must(t, http.StatusOK)
	require.Equal(t, "completed", res["run"].(map[string]any)["status"], "the run went on at once")
	st := s.do("admin", "GET", "/v1/runs/"+id, nil).must(t, http.StatusOK)
	require.Equal(t, "confirmed", st["outcome"])
	wait := st["steps"].([]any)[0].(map[string]any)
	require.Equal(t, "elapsed", wait["outcome"])
	require.Equal(t, "admin", wait["expedited"].(map[string]any)["by"])

	_, events := auditActions(t, s, "admin", id)
	var expedited map[string]any
	for _, e := range events {
		if m := e.(map[string]any); m["kind"] == "wait.expedited" {
			expedited = m
		}
	}
	require.NotNil(t, expedited, "the audit trail records the expedite")
	require.Equal(t, "admin", expedited["actor"])
	require.Equal(t, "probation_wait", expedited["step"])
	require.Equal(t, "probation waived by HR", expedited["detail"].(map[string]any)["reason"])
	require.NotEmpty(t, expedited["at"])
}
