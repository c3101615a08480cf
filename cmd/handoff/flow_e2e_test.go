package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/handoffhq/handoff/workflows"
)

// TestExternalEvent: an event resumes a waiting run; a second delivery changes nothing;
// a payload that does not fit the wait step's form is a 422 naming the field.
func TestExternalEvent(t *testing.T) {
	s := newStack(t)
	s.do("dana", "POST", "/v1/definitions", waitDef).must(t, http.StatusCreated)
	run := s.do("alice", "POST", "/v1/runs", map[string]any{"definition": "waits"}).must(t, http.StatusCreated)
	id := run["id"].(string)
	path := "/v1/runs/" + id + "/events/contract-signed"

	bad := s.do("alice", "POST", path, map[string]any{"data": map[string]any{"signer": 7}}).problem(t, http.StatusUnprocessableEntity)
	require.Contains(t, bad, "data.signer")
	s.do("alice", "POST", "/v1/runs/"+id+"/events/unknown-event", map[string]any{"data": map[string]any{}}).
		problem(t, http.StatusUnprocessableEntity)

	first := s.do("alice", "POST", path, map[string]any{"data": map[string]any{"signer": "Vic"}}, "Idempotency-Key", "sig-1").must(t, http.StatusOK)
	require.Equal(t, false, first["duplicate"])
	waitStatus(t, s, id, "completed")
	again := s.do("alice", "POST", path, map[string]any{"data": map[string]any{"signer": "Vic"}}, "Idempotency-Key", "sig-1")
	require.Contains(t, []int{http.StatusOK, http.StatusNotFound}, again.Status, "a redelivery to an ended run changes nothing")
	state := s.do("admin", "GET", "/v1/runs/"+id, nil).must(t, http.StatusOK)
	require.Len(t, state["events"], 1)
	require.Equal(t, "Vic", state["steps"].([]any)[1].(map[string]any)["data"].(map[string]any)["signer"])
}

const parentWithTaskChild = `key: parent-cancel
name: Parent
steps:
  - {id: child, kind: subprocess, definition: child-task}
`

const childWithTask = `key: child-task
name: Child with a task
steps:
  - {id: sign, title: Sign, assignee: requester}
`

// TestCancelCascades: cancelling a run cancels its child run, and both inboxes empty.
func TestCancelCascades(t *testing.T) {
	s := newStack(t)
	s.do("dana", "POST", "/v1/definitions", childWithTask).must(t, http.StatusCreated)
	s.do("dana", "POST", "/v1/definitions", parentWithTaskChild).must(t, http.StatusCreated)
	run := s.do("alice", "POST", "/v1/runs", map[string]any{"definition": "parent-cancel"}).must(t, http.StatusCreated)
	id := run["id"].(string)
	eventually(t, func() bool {
		return len(s.do("alice", "GET", "/v1/tasks?assignee=me", nil).must(t, http.StatusOK)["tasks"].([]any)) == 1
	}, "the child's task reaches alice's inbox")

	s.do("alice", "POST", "/v1/runs/"+id+"/cancel", map[string]any{}).problem(t, http.StatusUnprocessableEntity)
	s.do("mallory", "POST", "/v1/runs/"+id+"/cancel", map[string]any{"reason": "no"}).problem(t, http.StatusNotFound) // not in the run
	s.do("audrey", "POST", "/v1/runs/"+id+"/cancel", map[string]any{"reason": "no"}).problem(t, http.StatusForbidden) // sees it, did not start it
	s.do("alice", "POST", "/v1/runs/"+id+"/cancel", map[string]any{"reason": "hired elsewhere"}).must(t, http.StatusAccepted)

	waitStatus(t, s, id, "cancelled")
	child := id + ".child"
	eventually(t, func() bool {
		d, err := s.main.Temporal.DescribeWorkflow(context.Background(), child, "")
		require.NoError(t, err)
		return d.RawResponse.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED
	}, "the child run is cancelled")
	eventually(t, func() bool {
		return len(s.do("alice", "GET", "/v1/tasks?assignee=me", nil).must(t, http.StatusOK)["tasks"].([]any)) == 0
	}, "the inbox drops the child's task")
	// The child was told why: its state and audit trail carry the parent's reason.
	cs := s.do("admin", "GET", "/v1/runs/"+child, nil).must(t, http.StatusOK)
	require.Equal(t, map[string]any{"reason": "hired elsewhere", "by": "alice", "by_run": id}, cs["cancellation"])
	_, events := auditActions(t, s, "admin", child)
	var reason map[string]any
	for _, e := range events {
		if m := e.(map[string]any); m["kind"] == workflows.JournalCancelled {
			reason = m["detail"].(map[string]any)
		}
	}
	require.Equal(t, "hired elsewhere", reason["reason"], "the child's audit says why it was cancelled")
	require.Equal(t, map[string]any{"reason": "hired elsewhere", "by": "alice"}, s.do("admin", "GET", "/v1/runs/"+id, nil).must(t, http.StatusOK)["cancellation"])
	s.do("alice", "POST", "/v1/runs/"+id+"/cancel", map[string]any{"reason": "again"}).problem(t, http.StatusConflict)
}

// TestTaskFormResolved: GET /v1/tasks/{id} resolves the form for the run's current data.
func TestTaskFormResolved(t *testing.T) {
	s := newStack(t)
	s.do("dana", "POST", "/v1/definitions", `key: setup
name: Set up
inputs:
  - {id: remote, type: boolean}
steps:
  - id: equip
    title: Equip
    assignee: requester
    form:
      - {id: desk, visible_when: "!inputs.remote"}
      - {id: vpn, type: boolean, visible_when: inputs.remote}
      - {id: note, type: long_text}
`).must(t, http.StatusCreated)
	run := s.do("alice", "POST", "/v1/runs", map[string]any{"definition": "setup", "inputs": map[string]any{"remote": true}}).must(t, http.StatusCreated)
	task := s.do("alice", "GET", "/v1/tasks/"+run["open_tasks"].([]any)[0].(map[string]any)["id"].(string), nil).must(t, http.StatusOK)
	visible := map[string]any{}
	for _, f := range task["form"].([]any) {
		visible[f.(map[string]any)["id"].(string)] = f.(map[string]any)["visible"]
	}
	require.Equal(t, map[string]any{"desk": false, "vpn": true, "note": true}, visible)
}
