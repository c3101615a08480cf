package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestChangeFeed checks what the change feed says for each kind of write, and that a
// sync marker arrives after every change committed before it.
func TestChangeFeed(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := newDB(t)
	ready, changes, stopped := make(chan struct{}), make(chan Change, 100), make(chan error, 1)
	go func() { stopped <- db.ListenChanges(ctx, func() { close(ready) }, func(c Change) { changes <- c }) }()
	<-ready

	// next returns the changes up to the marker of a fresh sync, which must come last.
	marker := 0
	next := func() []Change {
		t.Helper()
		marker++
		token := "m" + string(rune('0'+marker))
		require.NoError(t, db.SyncChanges(ctx, token))
		var got []Change
		for {
			select {
			case c := <-changes:
				if c.Sync == token {
					return got
				}
				got = append(got, c)
			case <-time.After(10 * time.Second):
				t.Fatalf("no sync marker %s", token)
			}
		}
	}

	task := Task{ID: "t1", RunID: "r1", StepID: "s", Definition: "expense", Assignees: []string{"ana"}, CandidateGroups: []string{"ops"}}
	require.NoError(t, db.OpenTask(ctx, task))
	require.Equal(t, []Change{{Inboxes: []string{"g:ops", "u:ana"}}}, next(), "open: its inboxes")

	task.ClaimedBy = "ben"
	require.NoError(t, db.OpenTask(ctx, task))
	require.Equal(t, []Change{{Inboxes: []string{"g:ops", "u:ana", "u:ben"}}}, next(), "claim: where it was and where it is")

	require.NoError(t, db.CloseTask(ctx, Task{ID: "t1", Status: "completed", CompletedBy: "ben"}))
	require.Equal(t, []Change{{Inboxes: []string{"u:ben"}}}, next(), "close: the inbox it leaves")

	_, err := db.pool.Exec(ctx, "UPDATE tasks SET title = 'x' WHERE id = 't1'")
	require.NoError(t, err)
	require.Empty(t, next(), "a closed task is in no inbox")

	require.NoError(t, db.OpenTask(ctx, Task{ID: "t2", RunID: "r2", StepID: "s", Definition: "expense", CandidateGroups: []string{"hr"}}))
	_, err = db.pool.Exec(ctx, "DELETE FROM tasks WHERE id IN ('t1', 't2')")
	require.NoError(t, err)
	require.Equal(t, []Change{{Inboxes: []string{"g:hr"}}, {Inboxes: []string{"g:hr"}}}, next(), "open, then delete")

	_, err = db.UpsertUser(ctx, User{ID: "ana", Name: "Ana", Role: "member", Groups: []string{"ops"}})
	require.NoError(t, err)
	require.Equal(t, []Change{{Directory: true}}, next(), "a user")
	_, err = db.pool.Exec(ctx, "DELETE FROM api_keys")
	require.NoError(t, err)
	require.Equal(t, []Change{{Directory: true}}, next(), "API keys")

	// A rolled-back write says nothing.
	tx, err := db.pool.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "INSERT INTO tasks (id, run_id, step_id, definition, assignees) VALUES ('t3', 'r3', 's', 'expense', '{cy}')")
	require.NoError(t, err)
	require.NoError(t, tx.Rollback(ctx))
	require.Empty(t, next())

	cancel()
	require.ErrorIs(t, <-stopped, context.Canceled)
}
