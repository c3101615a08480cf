package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

const fanOutInbox = `key: fan-inbox
name: Fan-out inbox
roles:
  lawyer: {user: alice}
  banker: {user: bob}
steps:
  - id: fan
    kind: parallel
    branches:
      - {id: legal, steps: [{id: legal_review, kind: approval, title: Legal review, assignee: lawyer}]}
      - {id: money, steps: [{id: money_review, kind: approval, title: Money review, assignee: banker}]}
  - {id: after, title: After, assignee: lawyer}
`

// TestFanOutBranchCompletionReachesTheInbox: a branch's task completed while the join
// still waits for the other branch leaves the inbox at once. The projection used to
// write the branch's closed task only at the join, so GET /v1/tasks listed a completed
// review as open until every branch had finished.
func TestFanOutBranchCompletionReachesTheInbox(t *testing.T) {
	s := newStack(t)
	s.do("dana", "POST", "/v1/definitions", fanOutInbox).must(t, http.StatusCreated)
	run := s.do("alice", "POST", "/v1/runs", map[string]any{"definition": "fan-inbox"}).must(t, http.StatusCreated)
	ids := map[string]string{}
	for _, o := range run["open_tasks"].([]any) {
		ids[o.(map[string]any)["step_id"].(string)] = o.(map[string]any)["id"].(string)
	}
	require.Len(t, ids, 2)
	legal, money := ids["legal_review"], ids["money_review"]

	s.do("alice", "POST", "/v1/tasks/"+legal+"/complete", map[string]any{"outcome": "approved"}).must(t, http.StatusOK)

	// The completion's answer comes once the inbox says so: no waiting here.
	got := s.do("alice", "GET", "/v1/tasks/"+legal, nil).must(t, http.StatusOK)
	require.Equal(t, "completed", got["status"], "the completed branch task as the inbox holds it")
	require.Equal(t, "approved", got["outcome"])
	inbox := s.do("alice", "GET", "/v1/tasks", nil).must(t, http.StatusOK)
	for _, task := range inbox["tasks"].([]any) {
		require.NotEqual(t, legal, task.(map[string]any)["id"], "alice's inbox still lists the review she completed")
	}
	bobs := s.do("bob", "GET", "/v1/tasks", nil).must(t, http.StatusOK)["tasks"].([]any)
	require.Len(t, bobs, 1, "the other branch's review is still open")
	require.Equal(t, money, bobs[0].(map[string]any)["id"])

	// The join, then the next step, as before.
	s.do("bob", "POST", "/v1/tasks/"+money+"/complete", map[string]any{"outcome": "approved"}).must(t, http.StatusOK)
	require.Equal(t, "completed", s.do("bob", "GET", "/v1/tasks/"+money, nil).must(t, http.StatusOK)["status"])
	after := s.do("alice", "GET", "/v1/tasks", nil).must(t, http.StatusOK)["tasks"].([]any)
	require.Len(t, after, 1)
	require.Equal(t, "after", after[0].(map[string]any)["step_id"])
}
