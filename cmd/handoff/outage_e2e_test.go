package main

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/handoffhq/handoff/internal/devstack"
	"github.com/handoffhq/handoff/workflows"
)

// outageFlow waits a moment, so that its next inbox write falls inside the outage, then
// asks alice for a task.
const outageFlow = `key: outage-flow
name: Outage flow
roles:
  doer: {user: alice}
steps:
  - {id: pause, kind: wait, for: 2 seconds}
  - id: work
    assignee: doer
`

// outage is how long Postgres stays down: beyond the 30–50 s after which inbox writes
// used to give up and fail their run.
const outage = 65 * time.Second

// TestPostgresOutage stops the projection's Postgres for longer than inbox writes used
// to retry (issue 14, finding 2), while a run acknowledged just before has a write to
// make and a schedule fires new runs. No run fails: each waits, and catches up when
// Postgres is back, with an inbox that matches it.
func TestPostgresOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("stops Postgres for over a minute")
	}
	ctx := context.Background()
	// A durable cluster (not Fast): an immediate stop of one without synchronous_commit
	// loses the last commits, the API keys of the users made just before included.
	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: filepath.Join(t.TempDir(), "pg")})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, pg.Stop()) })
	s := newStack(t, func(c *Config) { c.DatabaseURL = pg.URL })
	s.do("dana", "POST", "/v1/definitions", outageFlow).must(t, http.StatusCreated)

	run := s.do("alice", "POST", "/v1/runs", map[string]any{"definition": "outage-flow"}).must(t, http.StatusCreated)
	runID := run["id"].(string)
	s.do("dana", "POST", "/v1/schedules", map[string]any{"id": "outage", "definition": "outage-flow",
		"interval": "15s", "overlap": "allow_all"}).must(t, http.StatusCreated)

	require.NoError(t, pg.Down(ctx))
	down := time.Now()
	time.Sleep(outage) // the fault itself: Postgres stays down this long
	require.NoError(t, pg.Up(ctx))
	t.Logf("Postgres was down %s", time.Since(down).Round(time.Second))
	// Stop firing: the runs it started during the outage are what the test looks at.
	s.do("dana", "DELETE", "/v1/schedules/outage", nil).must(t, http.StatusNoContent)

	runs := []string{runID}
	tc := s.main.Temporal
	eventually(t, func() bool {
		list, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: s.main.Config.TemporalNamespace, Query: "HandoffDefinition = 'outage-flow'"})
		if err != nil {
			return false
		}
		for _, e := range list.GetExecutions() {
			id := e.GetExecution().GetWorkflowId()
			if start := e.GetStartTime().AsTime(); strings.HasPrefix(id, "outage-flow-sched-outage") &&
				start.After(down) && start.Before(down.Add(outage)) && !slices.Contains(runs, id) {
				runs = append(runs, id)
			}
		}
		return len(runs) >= 3
	}, "the schedule started runs during the outage")

	for _, id := range runs {
		var task string
		eventually(t, func() bool {
			st := s.do("admin", "GET", "/v1/runs/"+id, nil)
			if st.Status != http.StatusOK || st.Body["status"] != workflows.StatusRunning {
				return false
			}
			open, _ := st.Body["open_tasks"].([]any)
			if len(open) != 1 {
				return false
			}
			task = open[0].(map[string]any)["id"].(string)
			return s.do("alice", "GET", "/v1/tasks/"+task, nil).Status == http.StatusOK
		}, "run "+id+" is running with its task in the inbox")
		s.do("alice", "POST", "/v1/tasks/"+task+"/complete", map[string]any{}).must(t, http.StatusOK)
		st := s.do("admin", "GET", "/v1/runs/"+id, nil).must(t, http.StatusOK)
		require.Equal(t, workflows.StatusCompleted, st["status"], "run %s", id)
		row, err := s.main.DB.Task(ctx, task)
		require.NoError(t, err)
		require.Equal(t, "completed", row.Status, "the inbox agrees with run %s", id)
		r, err := s.main.DB.Run(ctx, id)
		require.NoError(t, err)
		require.Equal(t, workflows.StatusCompleted, r.Status)
	}
}
