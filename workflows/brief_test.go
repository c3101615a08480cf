package workflows

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

// answers runs twoTasks on an interpreter version and returns the settle answer, the
// answer of the first completion and the result, each as JSON (the testsuite hands
// over the handler's value, which the run goes on changing).
func answers(t *testing.T, version int) (settle, complete, result map[string]any) {
	h, in := newHarness(t, twoTasks)
	in.Interpreter = version
	var settled, first map[string]any
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(UpdateSettle, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { require.NoError(t, err) },
			OnComplete: func(v any, err error) { require.NoError(t, err); require.NoError(t, decodeAs(v, &settled)) },
		})
	}, time.Second)
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(UpdateComplete, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { require.NoError(t, err) },
			OnComplete: func(v any, err error) { require.NoError(t, err); require.NoError(t, decodeAs(v, &first)) },
		}, CompleteRequest{TaskID: taskID("details"), Actor: "alice", Data: map[string]any{"laptop": "X1"}})
	}, 2*time.Second)
	h.env.RegisterDelayedCallback(func() {
		h.complete(CompleteRequest{TaskID: taskID("budget"), Actor: "bob", ActorGroups: []string{"finance"}, Data: map[string]any{"cost": 10.0}})
	}, 3*time.Second)
	h.env.ExecuteWorkflow(WorkflowName, in)
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
	require.NoError(t, h.env.GetWorkflowResult(&result))
	return settled, first, result
}

// Version 3 answers the settle and complete Updates and ends the run with what the API
// cannot read elsewhere (brief.go); version 2 keeps the whole state and whole tasks.
func TestBriefAnswersFromVersion3(t *testing.T) {
	settle2, complete2, result2 := answers(t, 2)
	settle3, complete3, result3 := answers(t, 3)

	// Version 2: the whole state, the open tasks with their forms.
	require.Equal(t, "equipment-request", settle2["definition"])
	require.Contains(t, settle2, "inputs")
	open2 := settle2["open_tasks"].([]any)[0].(map[string]any)
	require.Equal(t, "Pick equipment for Jane", open2["title"])
	require.NotEmpty(t, open2["form"])
	next2 := complete2["run"].(map[string]any)["open_tasks"].([]any)[0].(map[string]any)
	require.Equal(t, "Approve the budget", next2["title"])
	require.Len(t, result2["steps"], 2)

	// Version 3: no definition, inputs, titles or forms; the ids, steps, choices and
	// how the task ended are there, and the result says how the run ended.
	for _, k := range []string{"id", "definition", "version", "inputs", "started_by", "business_key"} {
		require.NotContains(t, settle3, k)
	}
	require.Equal(t, StatusRunning, settle3["status"])
	require.Len(t, settle3["steps"], 1)
	open3 := settle3["open_tasks"].([]any)[0].(map[string]any)
	require.Equal(t, map[string]any{"id": taskID("details"), "step_id": "details", "outcomes": []any{OutcomeCompleted}}, open3)
	task3 := complete3["task"].(map[string]any)
	require.Equal(t, TaskCompleted, task3["status"])
	require.Equal(t, map[string]any{"laptop": "X1"}, task3["data"])
	require.Equal(t, "alice", task3["completed_by"])
	require.NotContains(t, task3, "form")
	require.NotContains(t, task3, "title")
	next3 := complete3["run"].(map[string]any)["open_tasks"].([]any)[0].(map[string]any)
	require.Equal(t, map[string]any{"id": taskID("budget"), "step_id": "budget", "outcomes": []any{OutcomeCompleted}}, next3)
	require.Equal(t, map[string]any{"id": "default-test-workflow-id", "status": StatusCompleted}, result3)

	// Each brief answer decodes into the version 2 type, with the same ids and steps.
	var st2, st3 RunState
	require.NoError(t, decodeAs(settle2, &st2))
	require.NoError(t, decodeAs(settle3, &st3))
	require.Equal(t, stepIDs2(st2.Steps), stepIDs2(st3.Steps))
	require.False(t, st3.StartedAt.IsZero())
	require.Equal(t, st2.OpenTasks[0].Outcomes, st3.OpenTasks[0].Outcomes)
	var c2, c3 CompleteResult
	require.NoError(t, decodeAs(complete2, &c2))
	require.NoError(t, decodeAs(complete3, &c3))
	require.Equal(t, c2.Task.Data, c3.Task.Data)
	require.NotNil(t, c3.Task.CompletedAt)
	require.Equal(t, c2.Run.OpenTasks[0].ID, c3.Run.OpenTasks[0].ID)
	b2, _ := json.Marshal(complete2)
	b3, _ := json.Marshal(complete3)
	require.Less(t, len(b3), len(b2)/2, "the brief answer is less than half the size")
}

// stepIDs2 lists steps as "id:status".
func stepIDs2(steps []StepState) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.ID + ":" + s.Status
	}
	return out
}

// upserts runs twoTasks on an interpreter version and lists the HandoffOpenSteps values
// it upserted, in order.
func upserts(t *testing.T, version int) [][]string {
	h, in := newHarness(t, twoTasks)
	in.Interpreter = version
	var out [][]string
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		if steps, ok := sa.GetKeywordList(AttrOpenSteps); ok {
			out = append(out, steps)
		}
	})
	h.env.RegisterDelayedCallback(func() {
		h.complete(CompleteRequest{TaskID: taskID("details"), Actor: "alice", Data: map[string]any{"laptop": "X1"}})
	}, time.Second)
	h.env.RegisterDelayedCallback(func() {
		h.complete(CompleteRequest{TaskID: taskID("budget"), Actor: "bob", ActorGroups: []string{"finance"}, Data: map[string]any{"cost": 10.0}})
	}, 2*time.Second)
	h.env.ExecuteWorkflow(WorkflowName, in)
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
	return out
}

// From version 3 a run that ends does not clear its search attributes: it keeps the
// ones of its last wait, one upsert (an event and an action) fewer.
func TestNoClearingUpsertFromVersion3(t *testing.T) {
	require.Equal(t, [][]string{{"details"}, {"budget"}, nil}, upserts(t, 2), "version 2 clears them at the end")
	require.Equal(t, [][]string{{"details"}, {"budget"}}, upserts(t, 3))
}
