package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// choicesDef has a task with two outcomes whose form shows fields by what is typed, and
// an approval decided by two of three approvers.
const choicesDef = `key: choices
name: Choices
roles:
  board: {users: [alice, bob, dana]}
steps:
  - id: screen
    title: Screen the candidate
    assignee: requester
    outcomes: [hire, reject]
    form:
      - {id: remote, type: boolean}
      - {id: office, type: text, required: true, visible_when: "!form.remote"}
      - id: salary
        type: number
        validate:
          - {expr: "form.salary <= 90000", message: must be at most 90000}
  - id: board
    kind: approval
    assignee: board
    policy: 2
`

// TestTaskChoices: GET /v1/tasks/{id} lists the outcomes with labels and an approval's
// policy, votes so far and votes needed; an empty outcome where there is a choice is a
// 422 naming outcome.
func TestTaskChoices(t *testing.T) {
	s := newStack(t)
	s.do("dana", "POST", "/v1/definitions", choicesDef).must(t, http.StatusCreated)
	run := s.do("mallory", "POST", "/v1/runs", map[string]any{"definition": "choices"}).must(t, http.StatusCreated)
	screen := run["open_tasks"].([]any)[0].(map[string]any)
	require.Equal(t, []any{
		map[string]any{"value": "hire", "label": "Hire"}, map[string]any{"value": "reject", "label": "Reject"},
	}, screen["outcomes"], "the run's answer lists the choices")
	id := screen["id"].(string)
	task := s.do("mallory", "GET", "/v1/tasks/"+id, nil).must(t, http.StatusOK)
	require.Equal(t, screen["outcomes"], task["outcomes"])
	require.Nil(t, task["approval"], "a task is no approval")

	valid := map[string]any{"remote": true, "salary": 80000}
	errs := s.do("mallory", "POST", "/v1/tasks/"+id+"/complete", map[string]any{"data": valid}).problem(t, http.StatusUnprocessableEntity)
	require.Equal(t, map[string]string{"outcome": "is required: choose one of hire, reject"}, errs)
	s.do("mallory", "POST", "/v1/tasks/"+id+"/complete", map[string]any{"data": valid, "outcome": "maybe"}).
		problem(t, http.StatusUnprocessableEntity)
	done := s.do("mallory", "POST", "/v1/tasks/"+id+"/complete", map[string]any{"data": valid, "outcome": "hire"}).must(t, http.StatusOK)
	require.Equal(t, "hire", done["task"].(map[string]any)["outcome"])

	board := done["run"].(map[string]any)["open_tasks"].([]any)[0].(map[string]any)
	approval := map[string]any{"policy": "quorum", "votes_needed": float64(2), "votes": []any{}}
	require.Equal(t, approval, board["approval"])
	require.Equal(t, []any{
		map[string]any{"value": "approved", "label": "Approve"}, map[string]any{"value": "rejected", "label": "Reject"},
	}, board["outcomes"])
	s.do("alice", "POST", "/v1/tasks/"+board["id"].(string)+"/complete",
		map[string]any{"outcome": "approved", "comment": "yes"}).must(t, http.StatusOK)
	got := s.do("bob", "GET", "/v1/tasks/"+board["id"].(string), nil).must(t, http.StatusOK)["approval"].(map[string]any)
	require.Equal(t, "quorum", got["policy"])
	require.EqualValues(t, 2, got["votes_needed"])
	require.Len(t, got["votes"], 1)
	vote := got["votes"].([]any)[0].(map[string]any)
	require.Equal(t, "alice", vote["by"])
	require.Equal(t, "approved", vote["outcome"])
	require.Equal(t, "yes", vote["comment"])
}

// TestResolveTaskForm: POST /v1/tasks/{id}/form resolves an open task's form against
// draft data for the run's current data: fields show and hide as values are typed, and
// the errors are exactly the ones completing with that data answers.
func TestResolveTaskForm(t *testing.T) {
	s := newStack(t)
	s.do("dana", "POST", "/v1/definitions", choicesDef).must(t, http.StatusCreated)
	run := s.do("mallory", "POST", "/v1/runs", map[string]any{"definition": "choices"}).must(t, http.StatusCreated)
	id := run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
	resolve := func(who string, data map[string]any) (map[string]any, map[string]string) {
		t.Helper()
		res := s.do(who, "POST", "/v1/tasks/"+id+"/form", map[string]any{"data": data}).must(t, http.StatusOK)
		visible := map[string]any{}
		for _, f := range res["fields"].([]any) {
			visible[f.(map[string]any)["id"].(string)] = f.(map[string]any)["visible"]
		}
		errs := map[string]string{}
		for _, e := range res["errors"].([]any) {
			errs[e.(map[string]any)["field"].(string)] = e.(map[string]any)["message"].(string)
		}
		require.Equal(t, len(errs) == 0, res["valid"])
		return visible, errs
	}

	// GET shows the form as it stands before anything is typed: an unset boolean reads
	// as false, so the office shows.
	task := s.do("mallory", "GET", "/v1/tasks/"+id, nil).must(t, http.StatusOK)
	shown := map[string]any{}
	for _, f := range task["form"].([]any) {
		shown[f.(map[string]any)["id"].(string)] = f.(map[string]any)["visible"]
	}
	visible, errs := resolve("mallory", map[string]any{})
	require.Equal(t, shown, visible)
	require.Equal(t, map[string]any{"remote": true, "office": true, "salary": true}, visible)
	require.Equal(t, map[string]string{"data.office": "is required"}, errs)
	visible, errs = resolve("mallory", map[string]any{"remote": true})
	require.Equal(t, false, visible["office"])
	require.Empty(t, errs)

	draft := map[string]any{"remote": false, "salary": 95000}
	visible, errs = resolve("mallory", draft)
	require.Equal(t, true, visible["office"])
	require.Equal(t, map[string]string{"data.office": "is required", "data.salary": "must be at most 90000"}, errs)
	refused := s.do("mallory", "POST", "/v1/tasks/"+id+"/complete", map[string]any{"data": draft, "outcome": "hire"}).
		problem(t, http.StatusUnprocessableEntity)
	require.Equal(t, errs, refused, "completing with the draft is refused for the same reasons")

	_, errs = resolve("mallory", map[string]any{"remote": false, "office": "Lyon", "salary": 70000})
	require.Empty(t, errs)
	require.Contains(t, s.do("mallory", "POST", "/v1/tasks/"+id+"/form", map[string]any{"data": map[string]any{"bogus": 1}}).
		must(t, http.StatusOK)["errors"], map[string]any{"field": "data.bogus", "message": "unknown field"})

	s.do("alice", "POST", "/v1/tasks/"+id+"/form", map[string]any{"data": draft}).problem(t, http.StatusNotFound)   // not in the run
	s.do("audrey", "POST", "/v1/tasks/"+id+"/form", map[string]any{"data": draft}).problem(t, http.StatusForbidden) // sees it, may not work on it
	s.do("mallory", "POST", "/v1/tasks/nope/form", map[string]any{"data": draft}).problem(t, http.StatusNotFound)
	s.do("mallory", "POST", "/v1/tasks/"+id+"/complete", map[string]any{"data": map[string]any{"remote": true}, "outcome": "reject"}).
		must(t, http.StatusOK)
	s.do("mallory", "POST", "/v1/tasks/"+id+"/form", map[string]any{"data": draft}).problem(t, http.StatusConflict)
}
