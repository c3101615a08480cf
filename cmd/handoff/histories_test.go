package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/workflows"
)

// `make histories` records the replay corpus of workflows/testdata/histories from real
// runs on the dev server: go test ./cmd/handoff -run TestRecordHistories -record-histories
var recordHistories = flag.Bool("record-histories", false, "record the replay corpus of the current interpreter version into workflows/testdata/histories/v<N>")

// scenario is a run to record: a definition, its inputs, and what people do.
type scenario struct {
	name   string
	source string // YAML, or a path under definitions/examples
	inputs map[string]any
	// overrides replace sample inputs (for fields with a pattern).
	overrides map[string]any
	actions   func(t *testing.T, s *stack, run map[string]any)
}

func TestRecordHistories(t *testing.T) {
	if !*recordHistories {
		t.Skip("records the replay corpus only with -record-histories (make histories)")
	}
	httpSc, sinkAddr, stopSink := httpScenario(t)
	defer stopSink()
	s := newStack(t, func(c *Config) { c.HTTPAllow = sinkAddr })
	// Each interpreter version keeps its own histories: runs on older versions may still
	// be open, so their histories stay in the corpus (docs/versioning.md).
	dir := filepath.Join("..", "..", "workflows", "testdata", "histories", fmt.Sprintf("v%d", workflows.InterpreterVersion))
	require.NoError(t, os.RemoveAll(dir))
	require.NoError(t, os.MkdirAll(dir, 0o755))
	s.do("dana", "POST", "/v1/definitions", childDef).must(t, http.StatusCreated)
	// The replayer needs each history's workflow and run id (they are not in the history).
	executions := map[string]recordedExecution{}
	defer func() {
		b, err := json.MarshalIndent(executions, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "executions.json"), append(b, '\n'), 0o644))
	}()
	for _, sc := range historyScenarios() {
		if sc.name == httpSc.name {
			sc = httpSc
		}
		t.Run(sc.name, func(t *testing.T) {
			src := sc.source
			if strings.HasSuffix(src, ".yaml") {
				b, err := os.ReadFile(filepath.Join("..", "..", src))
				require.NoError(t, err)
				src = string(b)
			}
			prog, err := definitions.Compile([]byte(src))
			require.NoError(t, err)
			require.Contains(t, []int{200, 201}, s.do("dana", "POST", "/v1/definitions", src).Status)
			inputs := sc.inputs
			if inputs == nil {
				inputs = sampleInputs(t, prog.Inputs)
				for k, v := range sc.overrides {
					inputs[k] = v
				}
			}
			run := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": prog.Key, "inputs": inputs}).must(t, http.StatusCreated)
			if sc.actions != nil {
				sc.actions(t, s, run)
			}
			id := run["id"].(string)
			writeHistory(t, s, id, filepath.Join(dir, sc.name+".json"))
			executions[sc.name+".json"] = recordedExecution{WorkflowID: id, RunID: run["temporal"].(map[string]any)["run_id"].(string)}
		})
	}
	t.Run("participant walks", func(t *testing.T) { recordWalks(t, dir, executions) })
}

// writeHistory saves a run's history as the JSON the Temporal CLI prints.
func writeHistory(t *testing.T, s *stack, runID, path string) {
	t.Helper()
	ctx := context.Background()
	var events []*historypb.HistoryEvent
	it := s.main.Temporal.GetWorkflowHistory(ctx, runID, "", false, 0)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		events = append(events, e)
	}
	// The Temporal CLI's JSON (`temporal workflow show --output json`), which the
	// replayer reads back with the same custom options.
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(&historypb.History{Events: events})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
}

// completeOpen completes the run's open task of the step as admin with data.
func completeOpen(t *testing.T, s *stack, runID, step string, body map[string]any) map[string]any {
	t.Helper()
	var id string
	eventually(t, func() bool {
		st := s.do("admin", "GET", "/v1/runs/"+runID, nil).must(t, http.StatusOK)
		for _, o := range st["open_tasks"].([]any) {
			if task := o.(map[string]any); task["step_id"] == step {
				id = task["id"].(string)
				return true
			}
		}
		return false
	}, "step "+step+" has an open task")
	return s.do("admin", "POST", "/v1/tasks/"+id+"/complete", body).must(t, http.StatusOK)
}

// waitStatus waits until the run has the status.
func waitStatus(t *testing.T, s *stack, runID, status string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res := s.do("admin", "GET", "/v1/runs/"+runID, nil)
		// 503 asks the client to retry (a run's worker busy past the query deadline).
		if res.Status != http.StatusServiceUnavailable && res.must(t, http.StatusOK)["status"] == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s is not %s; it stands at %s", runID, status, res.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// recordedExecution names the workflow execution a recorded history belongs to.
type recordedExecution struct {
	WorkflowID string `json:"workflow_id"`
	RunID      string `json:"run_id"`
}
