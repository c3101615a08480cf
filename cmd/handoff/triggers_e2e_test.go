package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"

	"github.com/handoffhq/handoff/postgres"
)

// purchaseDefinition has one task for alice; its business key is the purchase order.
const purchaseDefinition = `key: %s
name: Purchase
business_key: inputs.po
inputs:
  - id: po
    type: text
    required: true
roles:
  buyer: { user: alice }
steps:
  - id: approve
    kind: task
    title: "Approve {{ inputs.po }}"
    assignee: buyer
    form:
      - id: ok
        type: boolean
`

// TestBusinessKeyConflict: one active run per (definition, business key), given in the
// request or computed by the definition; once the run completes the key is free again.
func TestBusinessKeyConflict(t *testing.T) {
	s := newStack(t)
	const key = "bk-purchase"
	s.do("dana", "POST", "/v1/definitions", fmt.Sprintf(purchaseDefinition, key)).must(t, http.StatusCreated)

	first := s.do("bob", "POST", "/v1/runs", map[string]any{"definition": key, "inputs": map[string]any{"po": "PO 1"},
		"business_key": "INV-7"}).must(t, http.StatusCreated)
	require.Equal(t, key+"-INV-7", first["id"])
	require.Equal(t, "INV-7", first["business_key"])

	conflict := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": key, "inputs": map[string]any{"po": "PO 2"},
		"business_key": "INV-7"})
	conflict.problem(t, http.StatusConflict)
	require.Equal(t, key+"-INV-7", conflict.Body["run_id"], "the problem names the active run")
	require.Contains(t, conflict.Body["detail"], key+"-INV-7")

	// The definition's business key applies when the request gives none.
	byDefinition := s.do("bob", "POST", "/v1/runs", map[string]any{"definition": key, "inputs": map[string]any{"po": "PO-9"}}).
		must(t, http.StatusCreated)
	require.Equal(t, key+"-PO-9", byDefinition["id"])
	again := s.do("bob", "POST", "/v1/runs", map[string]any{"definition": key, "inputs": map[string]any{"po": "PO-9"}})
	again.problem(t, http.StatusConflict)
	require.Equal(t, key+"-PO-9", again.Body["run_id"])

	// Completing the run frees the key.
	task := first["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
	done := s.do("alice", "POST", "/v1/tasks/"+task+"/complete", map[string]any{"data": map[string]any{"ok": true}}).
		must(t, http.StatusOK)
	require.Equal(t, "completed", done["run"].(map[string]any)["status"])
	next := s.do("bob", "POST", "/v1/runs", map[string]any{"definition": key, "inputs": map[string]any{"po": "PO 3"},
		"business_key": "INV-7"}).must(t, http.StatusCreated)
	require.Equal(t, key+"-INV-7", next["id"])
	require.NotEqual(t, first["temporal"].(map[string]any)["run_id"], next["temporal"].(map[string]any)["run_id"],
		"a new execution under the same run id")
}

// TestBusinessKeysAreDistinct: business keys that differ only in characters a run id
// cannot show as they are still get runs of their own, readable by their ids, and each
// run keeps its key as given (run resource, search attribute). An active run started
// under the earlier mapping still holds its key.
func TestBusinessKeysAreDistinct(t *testing.T) {
	s := newStack(t)
	const key = "bk-distinct"
	s.do("dana", "POST", "/v1/definitions", fmt.Sprintf(purchaseDefinition, key)).must(t, http.StatusCreated)
	ids := map[string]string{}
	for _, bk := range []string{"日本", "😀", "PO.1", "PO 1", "PO-1", "PO~201"} {
		run := s.do("bob", "POST", "/v1/runs", map[string]any{"definition": key, "inputs": map[string]any{"po": bk}}).
			must(t, http.StatusCreated)
		id := run["id"].(string)
		for other, otherID := range ids {
			require.NotEqual(t, otherID, id, "%q and %q share a run", bk, other)
		}
		ids[bk] = id
		got := s.do("bob", "GET", "/v1/runs/"+url.PathEscape(id), nil).must(t, http.StatusOK)
		require.Equal(t, bk, got["business_key"], "the run keeps the key as given")
		require.Equal(t, id, got["id"])
	}
	require.Equal(t, key+"-PO-1", ids["PO-1"], "a safe key is its own id part, as before")
	require.Equal(t, key+"-~E6~97~A5~E6~9C~AC", ids["日本"])
	require.Equal(t, key+"-PO~201", ids["PO 1"])
	eventually(t, func() bool {
		out := temporalCLI(t, "workflow", "list", "--query", "HandoffBusinessKey='PO 1'")
		return strings.Contains(out, ids["PO 1"]) && !strings.Contains(out, ids["PO-1"])
	}, "the search attribute holds the key as given")
	again := s.do("bob", "POST", "/v1/runs", map[string]any{"definition": key, "inputs": map[string]any{"po": "PO 1"}})
	again.problem(t, http.StatusConflict)
	require.Equal(t, ids["PO 1"], again.Body["run_id"])

	// A run started before this mapping squeezed "PO/7" into key-PO-7; while it is active,
	// a new start with its key is a 409 naming it, not a second run.
	require.NoError(t, s.main.DB.UpsertRun(context.Background(), postgres.Run{ID: key + "-PO-7", Definition: key, Version: 1,
		Status: "running", BusinessKey: "PO/7", StartedBy: "bob", StartedAt: time.Now()}))
	old := s.do("bob", "POST", "/v1/runs", map[string]any{"definition": key, "inputs": map[string]any{"po": "PO/7"}})
	old.problem(t, http.StatusConflict)
	require.Equal(t, key+"-PO-7", old.Body["run_id"])
}

// TestSchedules: a 2-second interval schedule starts runs with its inputs; paused it
// starts none; unpaused it starts again; deleted it is gone from Temporal too.
func TestSchedules(t *testing.T) {
	s := newStack(t)
	const key = "sched-purchase"
	s.do("dana", "POST", "/v1/definitions", fmt.Sprintf(purchaseDefinition, key)).must(t, http.StatusCreated)

	created := s.do("dana", "POST", "/v1/schedules", map[string]any{"id": "every-2s", "definition": key,
		"interval": "2s", "overlap": "allow_all", "inputs": map[string]any{"po": "PO-S"}, "note": "test"}).
		must(t, http.StatusCreated)
	t.Cleanup(func() {
		_ = s.main.Temporal.ScheduleClient().GetHandle(context.Background(), "every-2s").Delete(context.Background())
	})
	require.Equal(t, "every-2s", created["id"])
	require.EqualValues(t, 1, created["version"])
	require.Equal(t, "2s", created["interval"])
	require.Equal(t, "allow_all", created["overlap"])
	require.Equal(t, map[string]any{"po": "PO-S"}, created["inputs"])
	require.Equal(t, false, created["paused"])
	require.NotEmpty(t, created["next_run_times"])
	s.do("dana", "POST", "/v1/schedules", map[string]any{"id": "every-2s", "definition": key, "interval": "1h",
		"inputs": map[string]any{"po": "x"}}).problem(t, http.StatusConflict)

	actions := func() []any {
		return s.do("dana", "GET", "/v1/schedules/every-2s", nil).must(t, http.StatusOK)["recent_actions"].([]any)
	}
	eventually(t, func() bool { return len(actions()) > 0 }, "the schedule starts a run")
	runID := actions()[0].(map[string]any)["run_id"].(string)
	require.True(t, strings.HasPrefix(runID, key+"-sched-every-2s"), runID)
	var run map[string]any
	eventually(t, func() bool {
		res := s.do("audrey", "GET", "/v1/runs/"+runID, nil)
		run = res.Body
		return res.Status == http.StatusOK
	}, "the scheduled run answers")
	require.Equal(t, "schedule:every-2s", run["started_by"])
	require.Equal(t, "PO-S", run["inputs"].(map[string]any)["po"])
	waitRunVisible(t, s, key, runID)

	paused := s.do("dana", "POST", "/v1/schedules/every-2s/pause", map[string]any{"note": "holiday"}).must(t, http.StatusOK)
	require.Equal(t, true, paused["paused"])
	schedule := func() map[string]any {
		return s.do("dana", "GET", "/v1/schedules/every-2s", nil).must(t, http.StatusOK)
	}
	eventually(t, func() bool { return schedule()["paused"] == true }, "the schedule is paused")
	require.Equal(t, "holiday", schedule()["note"])
	count := func() float64 { return schedule()["actions"].(float64) }
	before := count()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		require.Equal(t, before, count(), "a paused schedule starts nothing for 2.5 intervals")
	}
	s.do("dana", "POST", "/v1/schedules/every-2s/unpause", nil).must(t, http.StatusOK)
	eventually(t, func() bool { return schedule()["paused"] == false }, "the schedule is unpaused")
	eventually(t, func() bool { return count() > before }, "the unpaused schedule starts runs again")

	list := s.do("dana", "GET", "/v1/schedules", nil).must(t, http.StatusOK)["schedules"].([]any)
	require.Len(t, list, 1)
	require.Equal(t, "every-2s", list[0].(map[string]any)["id"])

	s.do("dana", "DELETE", "/v1/schedules/every-2s", nil).must(t, http.StatusNoContent)
	s.do("dana", "GET", "/v1/schedules/every-2s", nil).problem(t, http.StatusNotFound)
	_, err := s.main.Temporal.ScheduleClient().GetHandle(context.Background(), "every-2s").Describe(context.Background())
	var nf *serviceerror.NotFound
	require.True(t, errors.As(err, &nf), "the Temporal schedule is deleted: %v", err)
}

// TestMetrics: /metrics serves the HTTP and the Temporal SDK metrics, and is off on request.
func TestMetrics(t *testing.T) {
	s := newStack(t)
	s.do("", "GET", "/healthz", nil).must(t, http.StatusOK)
	res := s.do("", "GET", "/metrics", nil)
	require.Equal(t, http.StatusOK, res.Status)
	require.Contains(t, res.Raw, `handoff_http_requests_total{method="GET",route="/healthz",status="200"} 1`)
	require.Contains(t, res.Raw, "temporal_request", "the Temporal SDK's metrics")
	require.Contains(t, res.Raw, "go_goroutines")

	off := newStack(t, func(c *Config) { c.Metrics = "off" })
	off.do("", "GET", "/metrics", nil).problem(t, http.StatusNotFound)
}
