package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

// TestInboxMatchesTasks drives random task writes (open, reassign, claim, release, close,
// due date changes, deletes) and checks after each round that every inbox read through
// inbox_entries returns exactly what the general query over tasks returns, page by page,
// for every user, group membership and filter.
func TestInboxMatchesTasks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	rng := rand.New(rand.NewPCG(8, 2026))

	users := []string{"u1", "u2", "u3", "u4"}
	groups := []string{"g1", "g2", "g3"}
	defs := []string{"expense", "onboarding"}
	pick := func(from []string, most int) []string {
		var out []string
		for _, x := range from {
			if len(out) < most && rng.IntN(3) == 0 {
				out = append(out, x)
			}
		}
		return out
	}
	due := func() *time.Time {
		if rng.IntN(4) == 0 {
			return nil
		}
		d := testNow.Add(time.Duration(rng.IntN(6)-3) * time.Hour)
		return &d
	}
	tasks := map[string]Task{}
	for round := range 6 {
		for range 30 {
			id := fmt.Sprintf("t%02d", rng.IntN(40))
			task, exists := tasks[id]
			switch {
			case !exists:
				task = Task{ID: id, RunID: "run-" + id, StepID: "s", Definition: defs[rng.IntN(len(defs))],
					Assignees: pick(users, 2), CandidateGroups: pick(groups, 2), DueAt: due(),
					// Ties on created_at make the id part of the order matter.
					CreatedAt: testNow.Add(time.Duration(rng.IntN(5)) * time.Minute)}
				require.NoError(t, db.OpenTask(ctx, task))
			case rng.IntN(5) == 0:
				require.NoError(t, db.CloseTask(ctx, Task{ID: id, Status: "completed", CompletedBy: "u1"}))
			case rng.IntN(8) == 0:
				_, err := db.pool.Exec(ctx, "DELETE FROM tasks WHERE id = $1", id)
				require.NoError(t, err)
				delete(tasks, id)
				continue
			default: // reassign, claim or release, move the due date
				task.Assignees, task.CandidateGroups, task.DueAt = pick(users, 2), pick(groups, 2), due()
				task.ClaimedBy = ""
				if rng.IntN(3) == 0 {
					task.ClaimedBy = users[rng.IntN(len(users))]
				}
				require.NoError(t, db.OpenTask(ctx, task))
			}
			tasks[id] = task
		}

		yes, no := true, false
		for _, user := range users {
			for _, gs := range [][]string{nil, {"g1"}, {"g2", "g3"}, groups} {
				for _, f := range []TaskFilter{
					{}, {Overdue: &yes}, {Overdue: &no}, {Definition: "expense"}, {Definition: "onboarding", Overdue: &no},
				} {
					f.Assignee, f.Groups, f.Status, f.Now, f.Limit = user, gs, "open", testNow, 1+rng.IntN(4)
					name := fmt.Sprintf("round %d, %s in %v, filter %+v", round, user, gs, f)
					require.Equal(t, readAll(t, db, f, listAll), readAll(t, db, f, listInbox), name)
				}
			}
		}
	}
}

type lister func(context.Context, *dbsqlc.Queries, dbsqlc.DBTX, TaskFilter, int, time.Time) ([]Task, string, error)

// readAll reads every page of f with list and returns the task ids in order.
func readAll(t *testing.T, db *DB, f TaskFilter, list lister) []string {
	t.Helper()
	ids := []string{}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100, "pagination does not end")
		got, next, err := list(context.Background(), db.q, db.pool, f, pageSize(f.Limit), f.Now)
		require.NoError(t, err)
		for _, task := range got {
			require.False(t, slices.Contains(ids, task.ID), "task %s listed twice", task.ID)
			ids = append(ids, task.ID)
		}
		if next == "" {
			return ids
		}
		f.After = next
	}
}

// TestOrderedWrites: an ordered write is written as the run's state, whatever a write from
// a discarded workflow task left (its completion, the task it opened, the email it
// queued); a write that lands after one further on in the history is dropped; a closed
// task the run holds open again is reopened; a later run of the same id starts over.
func TestOrderedWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	_, err := db.CreateUser(ctx, User{ID: "alice", Name: "Alice", Email: "alice@example.com", Groups: []string{}})
	require.NoError(t, err)
	run := Run{ID: "r", Definition: "d", Version: 1, Status: "running", StartedAt: testNow}
	task := func(id, status, by string) Task {
		tk := Task{ID: id, RunID: "r", StepID: id, Definition: "d", Title: id, Status: status,
			Assignees: []string{"alice"}, CreatedAt: testNow}
		if status != "open" {
			tk.Outcome, tk.CompletedBy, tk.CompletedAt = "completed", by, &testNow
		}
		return tk
	}
	write := func(seq, fence int64, id string, close, open []Task) error {
		var emails []TaskEmail
		for _, o := range open {
			emails = append(emails, TaskEmail{Key: "email/" + o.ID, Event: "task.assigned", TaskID: o.ID, Users: []string{"alice"}})
		}
		return db.WriteInbox(ctx, InboxWrite{Run: &run, Close: close, Open: open, Emails: emails,
			Sync: &SyncPoint{Seq: seq, Fence: fence, Write: id}})
	}
	state := func() map[string]string {
		out := map[string]string{}
		rows, err := db.pool.Query(ctx, `SELECT id, status, completed_by FROM tasks WHERE run_id = 'r'`)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var id, status, by string
			require.NoError(t, rows.Scan(&id, &status, &by))
			out[id] = status + "/" + by
		}
		return out
	}
	emails := func() []string {
		items, err := db.ListOutbox(ctx, OutboxFilter{Kind: OutboxEmail})
		require.NoError(t, err)
		var out []string
		for _, it := range items {
			out = append(out, it.DedupeKey+"@"+it.SyncWrite)
		}
		return out
	}

	require.NoError(t, write(10, 5, "w1", nil, []Task{task("a", "open", "")}))
	// A discarded workflow task: bob's completion of a, then the task b it led to.
	require.NoError(t, write(11, 7, "p1", []Task{task("a", "completed", "bob")}, []Task{task("b", "open", "")}))
	require.NoError(t, write(12, 7, "p2", nil, []Task{task("b", "open", ""), task("x", "open", "")}))
	// The history: alice's completion at 11, leading to c. Lower number, same fence.
	require.NoError(t, write(11, 7, "t1", []Task{task("a", "completed", "alice")}, []Task{task("c", "open", "")}))
	require.Equal(t, map[string]string{"a": "completed/alice", "c": "open/"}, state(), "the history's write replaces the discarded ones")
	require.Equal(t, []string{"email/a/alice@w1", "email/c/alice@t1"}, emails(), "what the discarded writes queued is gone")

	// A discarded write that lands late, behind a write further on in the history.
	err = write(12, 6, "late", []Task{task("c", "completed", "bob")}, nil)
	require.ErrorIs(t, err, ErrSuperseded)
	require.Equal(t, map[string]string{"a": "completed/alice", "c": "open/"}, state())

	// The run holds a open again (rework): the row is reopened, its completion cleared.
	require.NoError(t, db.WriteInbox(ctx, InboxWrite{Run: &run, Held: []Task{task("a", "open", ""), task("c", "open", "")},
		Sync: &SyncPoint{Seq: 13, Fence: 9, Write: "t2"}}))
	require.Equal(t, map[string]string{"a": "open/", "c": "open/"}, state())
	a, err := db.Task(ctx, "a")
	require.NoError(t, err)
	require.Empty(t, a.Outcome)
	require.Nil(t, a.CompletedAt)

	// A later run of the same id starts its numbers and fences afresh.
	run.StartedAt = testNow.Add(time.Hour)
	require.NoError(t, write(1, 1, "n1", []Task{task("a", "cancelled", ""), task("c", "cancelled", "")}, nil))
	r, err := db.Run(ctx, "r")
	require.NoError(t, err)
	require.Equal(t, run.StartedAt, r.StartedAt.UTC())

	// A write that fails rolls back whole.
	bad := task("d", "open", "")
	bad.Form = json.RawMessage(`{"not": "a list"`)
	err = write(2, 2, "n2", nil, []Task{task("e", "open", ""), bad})
	require.ErrorContains(t, err, "write task d")
	_, err = db.Task(ctx, "e")
	require.ErrorIs(t, err, ErrNotFound, "the write was rolled back")
}
