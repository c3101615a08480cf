package main

import (
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/internal/testenv"
)

// twoTasks is a two-step definition: IT fills in equipment (text, number and boolean
// fields, required and optional), then finance records the cost.
const twoTasks = `key: equipment-request
name: Equipment request
summary: "Equipment for {{ inputs.employee }}"
inputs:
  - id: employee
    type: text
    required: true
roles:
  it: { user: alice }
  finance: { user: bob }
steps:
  - id: details
    kind: task
    title: "Pick equipment for {{ inputs.employee }}"
    assignee: it
    form:
      - id: laptop
        type: text
        required: true
      - id: monitors
        type: number
        required: true
        min: 0
        max: 4
      - id: urgent
        type: boolean
  - id: budget
    kind: task
    title: Approve the budget
    assignee: finance
    form:
      - id: cost
        type: number
        required: true
      - id: note
        type: text
`

// TestSlice walks one definition through every layer: publish, start, a rejected
// completion that leaves history untouched, two completions, the run completed.
func TestSlice(t *testing.T) {
	s := newStack(t)

	pub := s.do("dana", "POST", "/v1/definitions", twoTasks).must(t, http.StatusCreated)
	require.Equal(t, "equipment-request", pub["key"])
	require.EqualValues(t, 1, pub["version"])
	again := s.do("dana", "POST", "/v1/definitions", twoTasks).must(t, http.StatusOK)
	require.EqualValues(t, 1, again["version"], "same content publishes no new version")

	run := s.do("admin", "POST", "/v1/runs", map[string]any{
		"definition": "equipment-request", "inputs": map[string]any{"employee": "Jane Doe"},
	}).must(t, http.StatusCreated)
	runID := run["id"].(string)
	require.Regexp(t, `^equipment-request-[a-z0-9]{8}$`, runID)
	require.Equal(t, "running", run["status"])
	open := run["open_tasks"].([]any)
	require.Len(t, open, 1)
	first := open[0].(map[string]any)
	require.Equal(t, "details", first["step_id"])
	require.Equal(t, "Pick equipment for Jane Doe", first["title"])
	require.Equal(t, []any{"alice"}, first["assignees"])
	firstID := first["id"].(string)

	inbox := s.do("alice", "GET", "/v1/tasks?assignee=me", nil).must(t, http.StatusOK)
	require.Len(t, inbox["tasks"], 1)
	listed := inbox["tasks"].([]any)[0].(map[string]any)
	require.Equal(t, firstID, listed["id"])
	// The list is lean: no form. GET /v1/tasks/{id} has the form the definition declared.
	require.NotContains(t, listed, "form", "list answers leave the form out")
	one := s.do("alice", "GET", "/v1/tasks/"+firstID, nil).must(t, http.StatusOK)
	form := one["form"].([]any)
	require.Len(t, form, 3)
	laptop := form[0].(map[string]any)
	require.Equal(t, "laptop", laptop["id"])
	require.Equal(t, "text", laptop["type"])
	require.Equal(t, true, laptop["required"])
	require.EqualValues(t, 4, form[1].(map[string]any)["max"])
	require.NotContains(t, listed, "data", "an open task has no data")

	before := historyLength(t, s, runID)
	bad := s.do("alice", "POST", "/v1/tasks/"+firstID+"/complete", map[string]any{
		"data": map[string]any{"monitors": "two", "urgent": true},
	}).problem(t, http.StatusUnprocessableEntity)
	require.Contains(t, bad, "data.laptop", "a missing required field is named")
	require.Contains(t, bad, "data.monitors", "a wrong type is named")
	require.Equal(t, before, historyLength(t, s, runID), "a rejected completion writes nothing to history")

	done := s.do("alice", "POST", "/v1/tasks/"+firstID+"/complete", map[string]any{
		"data": map[string]any{"laptop": "ThinkPad X1", "monitors": 2},
	}).must(t, http.StatusOK)
	require.Equal(t, "completed", done["task"].(map[string]any)["status"])
	next := done["run"].(map[string]any)["open_tasks"].([]any)
	require.Len(t, next, 1, "the completion answers with the run's new open tasks")
	secondID := next[0].(map[string]any)["id"].(string)

	bobs := s.do("bob", "GET", "/v1/tasks?assignee=me", nil).must(t, http.StatusOK)
	require.Len(t, bobs["tasks"], 1, "the second task is in its assignee's inbox")
	require.Equal(t, secondID, bobs["tasks"].([]any)[0].(map[string]any)["id"])
	require.Empty(t, s.do("alice", "GET", "/v1/tasks?assignee=me", nil).must(t, http.StatusOK)["tasks"])

	s.do("alice", "POST", "/v1/tasks/"+firstID+"/complete", map[string]any{"data": map[string]any{}}).
		problem(t, http.StatusConflict)

	last := s.do("bob", "POST", "/v1/tasks/"+secondID+"/complete", map[string]any{
		"data": map[string]any{"cost": 1899.5},
	}).must(t, http.StatusOK)
	require.Equal(t, "completed", last["run"].(map[string]any)["status"])

	state := s.do("audrey", "GET", "/v1/runs/"+runID, nil).must(t, http.StatusOK)
	require.Equal(t, "completed", state["status"])
	steps := state["steps"].([]any)
	require.Len(t, steps, 2)
	require.Equal(t, "ThinkPad X1", steps[0].(map[string]any)["data"].(map[string]any)["laptop"])
	require.Equal(t, "alice", steps[0].(map[string]any)["completed_by"])

	describe := temporalCLI(t, "workflow", "describe", "--workflow-id", runID, "--output", "json")
	require.Contains(t, describe, "HandoffDefinition")
	require.Contains(t, describe, "equipment-request")

	// The run follows the interpreter version of the API that started it, pinned in its
	// input (no version marker), and writes the inbox as local activities: one marker
	// per write (start, two completions), no activity task.
	markers := map[string]int{}
	it := s.main.Temporal.GetWorkflowHistory(context.Background(), runID, "", false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if m := ev.GetMarkerRecordedEventAttributes(); m != nil {
			markers[m.GetMarkerName()]++
		}
		require.Nil(t, ev.GetActivityTaskScheduledEventAttributes(), "event %d schedules an activity", ev.GetEventId())
	}
	require.Equal(t, map[string]int{"LocalActivity": 3}, markers)
}

// historyLength is the run's event count as Temporal reports it.
func historyLength(t *testing.T, s *stack, runID string) int64 {
	t.Helper()
	d, err := s.main.Temporal.DescribeWorkflow(context.Background(), runID, "")
	require.NoError(t, err)
	return d.RawResponse.GetWorkflowExecutionInfo().GetHistoryLength()
}

// temporalCLI runs the Temporal CLI against the test dev server and returns its output.
func temporalCLI(t *testing.T, args ...string) string {
	t.Helper()
	tmp := testenv.Temporal(t)
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	args = append(args, "--address", tmp.HostPort, "--namespace", tmp.Namespace)
	out, err := exec.Command(filepath.Join(root, ".bin", "temporal"), args...).CombinedOutput()
	require.NoError(t, err, string(out))
	return string(out)
}
