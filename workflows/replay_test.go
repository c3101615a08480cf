package workflows

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
)

// histories lists the recorded histories of the replay corpus (`make histories`).
func histories(t *testing.T) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	require.NoError(t, err)
	var files []string
	for _, f := range all {
		if filepath.Base(f) != "executions.json" {
			files = append(files, f)
		}
	}
	require.NotEmpty(t, files, "the replay corpus is empty: run `make histories`")
	return files
}

// executions reads the manifest of the corpus: each history's workflow and run id.
func executions(t *testing.T) map[string]workflow.Execution {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "histories", "executions.json"))
	require.NoError(t, err)
	var m map[string]struct {
		WorkflowID string `json:"workflow_id"`
		RunID      string `json:"run_id"`
	}
	require.NoError(t, json.Unmarshal(b, &m))
	out := map[string]workflow.Execution{}
	for name, e := range m {
		out[name] = workflow.Execution{ID: e.WorkflowID, RunID: e.RunID}
	}
	return out
}

// replay replays one recorded history through the workflow function.
func replay(t *testing.T, fn any, file string, exec workflow.Execution) error {
	t.Helper()
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(fn, workflow.RegisterOptions{Name: WorkflowName})
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	require.NoError(t, err)
	return r.ReplayWorkflowHistoryWithOptions(nil, h, worker.ReplayWorkflowHistoryOptions{OriginalExecution: exec})
}

// TestReplayCorpus replays every recorded history through the current interpreter: a
// change that would make a running workflow take another path fails here.
func TestReplayCorpus(t *testing.T) {
	execs := executions(t)
	for _, f := range histories(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			exec, ok := execs[filepath.Base(f)]
			require.True(t, ok, "executions.json names %s", f)
			require.NoError(t, replay(t, NewInterpreter(definitions.NewEngine()).Run, f, exec))
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
	execs := executions(t)
	for _, f := range histories(t) {
		err := replay(t, broken, f, execs[filepath.Base(f)])
		require.Error(t, err, "%s replayed through an incompatible interpreter", f)
		require.Contains(t, err.Error(), "TMPRL1100", "%s fails as non-deterministic", f)
	}
}
