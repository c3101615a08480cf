package main

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/postgres"
)

// TestInboxRebuild damages the projection of two runs the way a restore to an earlier
// point in time, or a bug, would (a task's completion rewritten, an open task lost, a
// task no history ever opened, a run row lost, a run's status wrong) and rebuilds it
// from the histories with `handoff inbox rebuild`: the rows come back as they were,
// and nothing is queued to be sent.
func TestInboxRebuild(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	db := s.main.DB
	s.do("dana", "POST", "/v1/definitions", twoTasks).must(t, http.StatusCreated)
	start := func() (string, string) {
		run := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "equipment-request",
			"inputs": map[string]any{"employee": "Jane"}}).must(t, http.StatusCreated)
		first := run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
		done := s.do("alice", "POST", "/v1/tasks/"+first+"/complete", map[string]any{
			"data": map[string]any{"laptop": "X1", "monitors": 2}}).must(t, http.StatusOK)
		return run["id"].(string), done["run"].(map[string]any)["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
	}
	waiting, second := start()
	ended, last := start()
	s.do("bob", "POST", "/v1/tasks/"+last+"/complete", map[string]any{"data": map[string]any{"cost": 900}}).must(t, http.StatusOK)

	snapshot := func() map[string]any {
		out := map[string]any{}
		for _, id := range []string{waiting, ended} {
			r, err := db.Run(ctx, id)
			require.NoError(t, err)
			out[id] = []any{r.Status, r.Definition, r.Version, r.Summary, r.StartedBy, r.StartedAt.UnixMicro()}
			tasks, _, err := db.ListTasks(ctx, postgres.TaskFilter{Limit: 1000})
			require.NoError(t, err)
			for _, tk := range tasks {
				if tk.RunID == id {
					out[tk.ID] = []any{tk.Status, tk.Outcome, tk.CompletedBy, string(tk.Data), tk.Assignees, tk.Title}
				}
			}
		}
		return out
	}
	want := snapshot()
	outbox := func() int {
		var n int
		require.NoError(t, db.Pool().QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&n))
		return n
	}
	queued := outbox()

	for _, damage := range []string{
		`UPDATE tasks SET outcome = 'rejected', completed_by = 'mallory', data = '{"laptop": "none"}' WHERE id = '` + waiting + `.details'`,
		`DELETE FROM tasks WHERE id = '` + second + `'`,
		`INSERT INTO tasks (id, run_id, step_id, definition, title, assignees) VALUES ('` + ended + `.ghost', '` + ended + `', 'ghost', 'equipment-request', 'Ghost', '{mallory}')`,
		`UPDATE runs SET status = 'failed' WHERE id = '` + waiting + `'`,
		`DELETE FROM runs WHERE id = '` + ended + `'`,
	} {
		_, err := db.Pool().Exec(ctx, damage)
		require.NoError(t, err, damage)
	}
	var out bytes.Buffer
	require.NoError(t, rebuildInbox(ctx, s.main.Config, nil, 2, &out))
	require.Contains(t, out.String(), "2/2 runs: 2 rewritten")
	require.Equal(t, want, snapshot(), "the projection is as the histories say")
	_, err := db.Task(ctx, ended+".ghost")
	require.ErrorIs(t, err, postgres.ErrNotFound, "a task no history opened is gone")
	inbox := s.do("bob", "GET", "/v1/tasks?assignee=me", nil).must(t, http.StatusOK)
	require.Len(t, inbox["tasks"], 1, "the lost open task is back in bob's inbox")
	require.Equal(t, queued, outbox(), "a rebuild queues nothing to send")
}
