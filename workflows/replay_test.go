package workflows

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
)

// histories lists the recorded histories of the replay corpus (`make histories`).
func histories(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "the replay corpus is empty: run `make histories`")
	return files
}

// TestReplayCorpus replays every recorded history through the current interpreter: a
// change that would make a running workflow take another path fails here.
func TestReplayCorpus(t *testing.T) {
	for _, f := range histories(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(NewInterpreter(definitions.NewEngine()).Run, workflow.RegisterOptions{Name: WorkflowName})
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}

// TestReplayCatchesIncompatibleChange proves the corpus guards anything: an interpreter
// that starts with an extra timer must fail to replay every recorded history.
func TestReplayCatchesIncompatibleChange(t *testing.T) {
	interp := NewInterpreter(definitions.NewEngine())
	broken := func(ctx workflow.Context, in RunInput) (RunState, error) {
		if err := workflow.Sleep(ctx, time.Second); err != nil {
			return RunState{}, err
		}
		return interp.Run(ctx, in)
	}
	for _, f := range histories(t) {
		r := worker.NewWorkflowReplayer()
		r.RegisterWorkflowWithOptions(broken, workflow.RegisterOptions{Name: WorkflowName})
		err := r.ReplayWorkflowHistoryFromJSONFile(nil, f)
		require.Error(t, err, "%s replayed through an incompatible interpreter", f)
		require.Contains(t, err.Error(), "nondeterministic", f)
	}
}
