package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/workflows"
)

// TestStartDoesNotWaitOnRetries: POST /v1/runs answers once the run has settled as far
// as it can without waiting on retries. A leading http step against a sink that keeps
// failing, with forty attempts fifteen seconds apart, used to hold the 201 for ten minutes;
// now it comes back within seconds, the run running with no open task yet, and the
// step still trying.
func TestStartDoesNotWaitOnRetries(t *testing.T) {
	var calls atomic.Int32
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	defer sink.Close()
	s := newStack(t, func(c *Config) { c.HTTPAllow = strings.TrimPrefix(sink.URL, "http://") })
	s.do("dana", "POST", "/v1/definitions", fmt.Sprintf(`key: leading-call
name: Leading call
steps:
  - id: call
    kind: http
    url: %s/po
    retry: {attempts: 40, interval: 15 seconds, backoff: 1}
  - {id: after, title: After, assignee: requester}
`, sink.URL)).must(t, http.StatusCreated)

	start := time.Now()
	run := s.do("alice", "POST", "/v1/runs", map[string]any{"definition": "leading-call"}).must(t, http.StatusCreated)
	took := time.Since(start)
	require.Less(t, took, 10*time.Second, "the start answered without waiting for the retries (took %s)", took)
	require.Equal(t, "running", run["status"])
	require.Empty(t, run["open_tasks"])
	require.Equal(t, int32(1), calls.Load(), "one attempt so far; the next is 15 s away")
	st := s.do("alice", "GET", "/v1/runs/"+run["id"].(string), nil).must(t, http.StatusOK)
	require.Equal(t, "active", st["steps"].([]any)[0].(map[string]any)["status"], "the call goes on")
	// The run is in the projection at once: it can be listed and cancelled while it retries.
	s.do("alice", "POST", "/v1/runs/"+run["id"].(string)+"/cancel", map[string]any{"reason": "not needed"}).must(t, http.StatusAccepted)
	waitStatus(t, s, run["id"].(string), "cancelled")
}

// TestSignalCompletesGroupTask: a completion signalled from the Temporal CLI names its
// actor; the run looks them up in the directory, so alice (in hr) completes the hr
// group's task, and mallory (in no group) is refused.
func TestSignalCompletesGroupTask(t *testing.T) {
	s := newStack(t)
	s.do("dana", "POST", "/v1/definitions", groupTask).must(t, http.StatusCreated)
	run := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "group-task"}).must(t, http.StatusCreated)
	id := run["id"].(string)
	task := run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
	signal := func(actor string) {
		require.NoError(t, s.main.Temporal.SignalWorkflow(context.Background(), id, "", workflows.SignalComplete,
			map[string]any{"task_id": task, "actor": actor, "data": map[string]any{"done": true}}))
	}
	signal("mallory")
	eventually(t, func() bool {
		return len(s.do("admin", "GET", "/v1/runs/"+id, nil).must(t, http.StatusOK)["rejected"].([]any)) == 1
	}, "mallory's signal is refused")
	signal("alice")
	waitStatus(t, s, id, "completed")
	st := s.do("admin", "GET", "/v1/runs/"+id, nil).must(t, http.StatusOK)
	require.Equal(t, "alice", st["steps"].([]any)[0].(map[string]any)["completed_by"])
	require.Contains(t, st["rejected"].([]any)[0].(map[string]any)["reason"], "mallory may not complete")
}
