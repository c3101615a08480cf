package minimal_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/handoffhq/handoff/bench/minimal"
	"github.com/handoffhq/handoff/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Run(m) }

// start runs a worker with the minimal workflows on a queue of the test's own and starts
// one run of workflow.
func start(t *testing.T, workflow string) (client.Client, client.WorkflowRun) {
	t.Helper()
	tc := testenv.Temporal(t).Client()
	queue := "minimal-" + t.Name()
	w := worker.New(tc, queue, worker.Options{})
	minimal.Register(w)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: t.Name(), TaskQueue: queue}, workflow,
		minimal.Input{Owner: "ann", Title: "Order 7"})
	require.NoError(t, err)
	return tc, run
}

// complete sends the complete Update and returns its error type ("" when accepted).
func complete(t *testing.T, tc client.Client, run client.WorkflowRun, step, actor string, data map[string]any) string {
	t.Helper()
	h, err := tc.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{
		WorkflowID: run.GetID(), UpdateName: minimal.UpdateComplete, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{minimal.Completion{Step: step, Actor: actor, Data: data}},
	})
	if err == nil {
		err = h.Get(context.Background(), nil)
	}
	if err == nil {
		return ""
	}
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	return appErr.Type()
}

func TestSet3ComputesEachValueFromTheOneBefore(t *testing.T) {
	_, run := start(t, minimal.Set3Name)
	var out map[string]any
	require.NoError(t, run.Get(context.Background(), &out))
	require.Equal(t, map[string]any{"greeting": "Hello Order 7", "text": "Hello Order 7!", "length": 14.0}, out)
}

func TestHumanValidatesLikeTheDefinitionsForm(t *testing.T) {
	tc, run := start(t, minimal.HumanName)
	for _, c := range []struct {
		step, actor string
		data        map[string]any
		want        string
	}{
		{"review", "bob", map[string]any{"note": "ok"}, "NotEligible"},
		{"other", "ann", map[string]any{"note": "ok"}, "TaskNotOpen"},
		{"review", "ann", map[string]any{"note": "  "}, "InvalidForm"},
		{"review", "ann", map[string]any{"note": string(make([]rune, 201))}, "InvalidForm"},
		{"review", "ann", map[string]any{"note": "ok", "amount": -1.0}, "InvalidForm"},
		{"review", "ann", map[string]any{"note": "ok", "amount": "ten"}, "InvalidForm"},
		{"review", "ann", map[string]any{"note": "looks fine", "amount": 12.5}, ""},
	} {
		require.Equal(t, c.want, complete(t, tc, run, c.step, c.actor, c.data), "%+v", c)
	}
	var out map[string]map[string]any
	require.NoError(t, run.Get(context.Background(), &out))
	require.Equal(t, map[string]map[string]any{"review": {"note": "looks fine", "amount": 12.5}}, out)
}

func TestLinearTakesTheTasksInOrder(t *testing.T) {
	tc, run := start(t, minimal.LinearName)
	require.Equal(t, "TaskNotOpen", complete(t, tc, run, "s2", "ann", map[string]any{"note": "early"}))
	for i := 1; i <= 5; i++ {
		require.Empty(t, complete(t, tc, run, fmt.Sprintf("s%d", i), "ann", map[string]any{"note": "ok"}))
	}
	var out map[string]map[string]any
	require.NoError(t, run.Get(context.Background(), &out))
	require.Len(t, out, 5)
}

func TestFanOut10JoinsWhenAllTenAreDone(t *testing.T) {
	tc, run := start(t, minimal.FanOut10Name)
	for i := 10; i >= 1; i-- {
		require.Empty(t, complete(t, tc, run, fmt.Sprintf("r%d", i), "ann", nil))
		if i > 1 {
			desc, err := tc.DescribeWorkflow(context.Background(), run.GetID(), "")
			require.NoError(t, err)
			require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.Status, "after r%d", i)
		}
	}
	require.NoError(t, run.Get(context.Background(), nil))
}
