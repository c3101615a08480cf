package workflows

import (
	"encoding/json"
	"fmt"
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

// recorded is one history of the replay corpus and the execution it came from.
type recorded struct {
	file string // testdata/histories/v<N>/<name>.json
	exec workflow.Execution
}

// corpus lists the replay corpus (`make histories`): one folder per interpreter version,
// each with its histories and an executions.json naming each history's workflow and run
// id (the replayer needs them; they are not in the history).
func corpus(t *testing.T) []recorded {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "histories", "v*"))
	require.NoError(t, err)
	var out []recorded
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "executions.json"))
		require.NoError(t, err)
		var m map[string]struct {
			WorkflowID string `json:"workflow_id"`
			RunID      string `json:"run_id"`
		}
		require.NoError(t, json.Unmarshal(b, &m))
		files, err := filepath.Glob(filepath.Join(dir, "*.json"))
		require.NoError(t, err)
		for _, f := range files {
			if filepath.Base(f) == "executions.json" {
				continue
			}
			e, ok := m[filepath.Base(f)]
			require.True(t, ok, "%s/executions.json names %s", dir, filepath.Base(f))
			out = append(out, recorded{file: f, exec: workflow.Execution{ID: e.WorkflowID, RunID: e.RunID}})
		}
	}
	require.NotEmpty(t, out, "the replay corpus is empty: run `make histories`")
	return out
}

// replay replays one recorded history through the workflow function.
func replay(t *testing.T, fn any, file string, exec workflow.Execution) error {
	t.Helper()
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(fn, workflow.RegisterOptions{Name: WorkflowName})
	f, err := os.Open(file)
	require.NoError(t, err)
	defer func() { _ = f.Close() }() // opened for reading
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	require.NoError(t, err)
	return r.ReplayWorkflowHistoryWithOptions(nil, h, worker.ReplayWorkflowHistoryOptions{OriginalExecution: exec})
}

// TestReplayCorpus replays every recorded history through the current interpreter: a
// change that would make a running workflow take another path fails here.
func TestReplayCorpus(t *testing.T) {
	versions := map[string]bool{}
	for _, h := range corpus(t) {
		versions[filepath.Base(filepath.Dir(h.file))] = true
		t.Run(filepath.Base(filepath.Dir(h.file))+"/"+filepath.Base(h.file), func(t *testing.T) {
			t.Parallel()
			require.NoError(t, replay(t, NewInterpreter(definitions.NewEngine()).Run, h.file, h.exec))
		})
	}
	// Every version new runs can still be on has histories (docs/versioning.md).
	for v := 1; v <= InterpreterVersion; v++ {
		require.True(t, versions[fmt.Sprintf("v%d", v)], "the corpus has no histories of interpreter version %d: run `make histories`", v)
	}
}

// TestReplayCatchesIncompatibleChange proves the corpus guards anything: an interpreter
// that starts with an extra timer must fail to replay every recorded history.
func TestReplayCatchesIncompatibleChange(t *testing.T) {
	interp := NewInterpreter(definitions.NewEngine())
	broken := func(ctx workflow.Context, in RunInput) (any, error) {
		if err := workflow.Sleep(ctx, time.Second); err != nil {
			return RunState{}, err
		}
		return interp.Run(ctx, in)
	}
	for _, h := range corpus(t) {
		err := replay(t, broken, h.file, h.exec)
		require.Error(t, err, "%s replayed through an incompatible interpreter", h.file)
		require.Contains(t, err.Error(), "TMPRL1100", "%s fails as non-deterministic", h.file)
	}
}
