package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
)

// loopDef is five tasks repeated 500 times: 2,500 tasks.
const loopDef = `key: long-loop
name: Long loop
x-work: &work
  assignee: requester
  due: 1 day
  reminders:
    - {before: 1 hour}
steps:
  - {id: a, title: Work A, <<: *work}
  - {id: b, title: Work B, <<: *work}
  - {id: c, title: Work C, <<: *work}
  - {id: d, title: Work D, <<: *work}
  - {id: e, title: Work E, <<: *work, next: a, max_rounds: 499}
  - {id: done, kind: end, outcome: finished}
`

// TestTwoThousandFiveHundredTasks completes 2,500 tasks in one run on the dev server.
// The run continues as new several times (every 400 events here; Temporal also caps a
// run at 2,000 Updates): every open task, deadline and idempotency key survives, and
// the run finishes correctly under the same id.
func TestTwoThousandFiveHundredTasks(t *testing.T) {
	if testing.Short() {
		t.Skip("completes 2,500 tasks (about a minute)")
	}
	s := newStack(t, func(c *Config) { c.ContinueAsNewAfter = 400 })
	s.do("dana", "POST", "/v1/definitions", loopDef).must(t, http.StatusCreated)
	run := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "long-loop"}).must(t, http.StatusCreated)
	id := run["id"].(string)
	first := run["temporal"].(map[string]any)["run_id"].(string)
	task := run["open_tasks"].([]any)[0].(map[string]any)
	firstTask := task["id"].(string)

	var firstAnswer map[string]any
	for n := 1; n <= 2500; n++ {
		res := s.do("admin", "POST", "/v1/tasks/"+task["id"].(string)+"/complete",
			map[string]any{"data": map[string]any{}}, "Idempotency-Key", fmt.Sprintf("k%d", n)).must(t, http.StatusOK)
		if n == 1 {
			firstAnswer = res
		}
		open := res["run"].(map[string]any)["open_tasks"].([]any)
		if n == 2500 {
			require.Equal(t, "completed", res["run"].(map[string]any)["status"])
			require.Empty(t, open)
			break
		}
		require.Len(t, open, 1, "round %d", n)
		task = open[0].(map[string]any)
		require.NotEmpty(t, task["due_at"], "every task keeps its deadline")
	}

	// After several continue-as-new, the first completion's key still answers the same.
	again := s.do("admin", "POST", "/v1/tasks/"+firstTask+"/complete",
		map[string]any{"data": map[string]any{}}, "Idempotency-Key", "k1")
	require.Contains(t, []int{http.StatusOK, http.StatusConflict}, again.Status, again.Raw)
	if again.Status == http.StatusOK {
		require.Equal(t, firstAnswer["task"].(map[string]any)["id"], again.Body["task"].(map[string]any)["id"])
	}

	state := s.do("admin", "GET", "/v1/runs/"+id, nil).must(t, http.StatusOK)
	require.Equal(t, "completed", state["status"])
	require.Equal(t, "finished", state["outcome"])
	for _, st := range state["steps"].([]any)[:5] {
		require.EqualValues(t, 500, st.(map[string]any)["round"])
	}

	executions := listExecutions(t, s, id)
	require.Greater(t, len(executions), 5, "the run continued as new")
	require.Equal(t, first, executions[len(executions)-1].runID, "the oldest execution is the one the API started")
	for _, e := range executions[1:] {
		require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, e.status)
	}
}

type execution struct {
	runID  string
	status enumspb.WorkflowExecutionStatus
}

// listExecutions lists every execution of a workflow id, newest first.
func listExecutions(t *testing.T, s *stack, id string) []execution {
	t.Helper()
	var out []execution
	eventually(t, func() bool {
		res, err := s.main.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowId = '%s'", id), PageSize: 1000,
		})
		require.NoError(t, err)
		out = out[:0]
		for _, e := range res.Executions {
			out = append(out, execution{e.Execution.RunId, e.Status})
		}
		return len(out) > 0 && out[0].status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	}, "visibility lists the executions")
	return out
}
