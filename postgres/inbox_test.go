package postgres

import (
	"context"
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
