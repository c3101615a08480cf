package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { t := testNow.Add(d); return &t }

func taskIDs(ts []Task) []string {
	out := []string{}
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func TestOpenCloseTask(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)

	task := Task{
		ID: "task-1", RunID: "run-1", StepID: "approve", Definition: "expense",
		Title: "Approve", Description: "Approve the expense", Kind: "approval",
		Assignees: []string{"alice"}, CandidateGroups: []string{"finance"},
		DueAt: at(time.Hour), Form: json.RawMessage(`[{"id":"ok","type":"boolean"}]`),
	}
	require.NoError(t, db.OpenTask(ctx, task))
	require.NoError(t, db.OpenTask(ctx, task), "idempotent")

	got, err := db.Task(ctx, "task-1")
	require.NoError(t, err)
	require.Equal(t, "open", got.Status)
	require.Equal(t, "approval", got.Kind)
	require.Equal(t, []string{"alice"}, got.Assignees)
	require.Equal(t, []string{"finance"}, got.CandidateGroups)
	require.True(t, task.DueAt.Equal(*got.DueAt))
	require.JSONEq(t, string(task.Form), string(got.Form))
	require.Empty(t, got.Data)
	require.Nil(t, got.CompletedAt)
	created := got.CreatedAt

	// Re-opening updates the assignment (claim / reassign) only.
	task.Assignees, task.ClaimedBy, task.DueAt, task.Title = []string{"bob"}, "bob", nil, "Changed"
	require.NoError(t, db.OpenTask(ctx, task))
	got, err = db.Task(ctx, "task-1")
	require.NoError(t, err)
	require.Equal(t, []string{"bob"}, got.Assignees)
	require.Equal(t, "bob", got.ClaimedBy)
	require.Nil(t, got.DueAt)
	require.Equal(t, "Approve", got.Title)
	require.Equal(t, created, got.CreatedAt)

	closing := Task{ID: "task-1", Status: "completed", Outcome: "approved", Data: json.RawMessage(`{"ok":true}`), CompletedBy: "bob", CompletedAt: at(2 * time.Hour)}
	require.NoError(t, db.CloseTask(ctx, closing))
	require.NoError(t, db.CloseTask(ctx, closing), "idempotent")
	require.NoError(t, db.OpenTask(ctx, task), "a late OpenTask retry does not reopen")

	got, err = db.Task(ctx, "task-1")
	require.NoError(t, err)
	require.Equal(t, "completed", got.Status)
	require.Equal(t, "approved", got.Outcome)
	require.JSONEq(t, `{"ok":true}`, string(got.Data))
	require.Equal(t, "bob", got.CompletedBy)
	require.True(t, closing.CompletedAt.Equal(*got.CompletedAt))

	errTests := []struct {
		name string
		task Task
		want error
	}{
		{"different terminal status", Task{ID: "task-1", Status: "cancelled"}, ErrConflict},
		{"unknown task", Task{ID: "nope", Status: "cancelled"}, ErrNotFound},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorIs(t, db.CloseTask(ctx, tt.task), tt.want)
		})
	}
	require.Error(t, db.CloseTask(ctx, Task{ID: "task-1", Status: "open"}), "only terminal statuses close")

	_, err = db.Task(ctx, "nope")
	require.ErrorIs(t, err, ErrNotFound)

	// Cancel without explicit time or data.
	require.NoError(t, db.OpenTask(ctx, Task{ID: "task-2", RunID: "run-1", StepID: "s", Definition: "expense"}))
	require.NoError(t, db.CloseTask(ctx, Task{ID: "task-2", Status: "cancelled"}))
	got, err = db.Task(ctx, "task-2")
	require.NoError(t, err)
	require.Equal(t, "cancelled", got.Status)
	require.Equal(t, "task", got.Kind)
	require.JSONEq(t, `[]`, string(got.Form))
	require.NotNil(t, got.CompletedAt)
}

func TestListTasksFilters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)

	open := []Task{
		{ID: "t1", Definition: "expense", Assignees: []string{"u1"}, DueAt: at(-time.Hour)},
		{ID: "t2", Definition: "onboarding", CandidateGroups: []string{"g1"}, DueAt: at(time.Hour)},
		{ID: "t3", Definition: "expense", CandidateGroups: []string{"g1"}, ClaimedBy: "u2", DueAt: at(2 * time.Hour)},
		{ID: "t4", Definition: "expense", Assignees: []string{"u2"}, ClaimedBy: "u1", DueAt: at(3 * time.Hour)},
		{ID: "t5", Definition: "expense", Assignees: []string{"u1"}, DueAt: at(-2 * time.Hour)},
		{ID: "t6", Definition: "expense", Assignees: []string{"u2"}, CandidateGroups: []string{"g2"}},
		{ID: "t7", Definition: "onboarding", Assignees: []string{"u1", "u2"}, ClaimedBy: "u1"},
	}
	for i, task := range open {
		task.RunID, task.StepID = "run", task.ID
		task.CreatedAt = testNow.Add(time.Duration(i) * time.Minute)
		require.NoError(t, db.OpenTask(ctx, task))
	}
	require.NoError(t, db.CloseTask(ctx, Task{ID: "t5", Status: "completed", CompletedBy: "u1"}))

	yes, no := true, false
	tests := []struct {
		name   string
		filter TaskFilter
		want   []string
	}{
		{"all, due first, nulls last", TaskFilter{}, []string{"t5", "t1", "t2", "t3", "t4", "t6", "t7"}},
		{"open", TaskFilter{Status: "open"}, []string{"t1", "t2", "t3", "t4", "t6", "t7"}},
		{"completed", TaskFilter{Status: "completed"}, []string{"t5"}},
		{"assignee, group candidate, own claims; not claimed by others", TaskFilter{Assignee: "u1", Groups: []string{"g1"}, Status: "open"}, []string{"t1", "t2", "t4", "t7"}},
		{"assignee without groups", TaskFilter{Assignee: "u1", Status: "open"}, []string{"t1", "t4", "t7"}},
		{"assignee any status", TaskFilter{Assignee: "u1"}, []string{"t5", "t1", "t4", "t7"}},
		{"other assignee: claimed by u1 excluded", TaskFilter{Assignee: "u2", Groups: []string{"g1", "g2"}}, []string{"t2", "t3", "t6"}},
		{"unknown user", TaskFilter{Assignee: "u9", Groups: []string{"g9"}}, []string{}},
		{"definition", TaskFilter{Definition: "onboarding"}, []string{"t2", "t7"}},
		{"overdue", TaskFilter{Status: "open", Overdue: &yes, Now: testNow}, []string{"t1"}},
		{"not overdue", TaskFilter{Status: "open", Overdue: &no, Now: testNow}, []string{"t2", "t3", "t4", "t6", "t7"}},
		{"overdue later", TaskFilter{Overdue: &yes, Now: testNow.Add(150 * time.Minute)}, []string{"t5", "t1", "t2", "t3"}},
		{"combined", TaskFilter{Assignee: "u1", Groups: []string{"g1"}, Definition: "expense", Overdue: &no, Now: testNow}, []string{"t4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := db.ListTasks(ctx, tt.filter)
			require.NoError(t, err)
			require.Equal(t, tt.want, taskIDs(got))
			require.Empty(t, next)
		})
	}

	_, _, err := db.ListTasks(ctx, TaskFilter{After: "not a cursor"})
	require.ErrorIs(t, err, ErrInvalidCursor)
}

func TestListTasksPagination(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)

	// Ties on due_at and created_at, and NULL due dates, so that every part
	// of the sort key matters.
	var all []Task
	for i := range 31 {
		task := Task{
			ID: fmt.Sprintf("t%02d", (i*7)%31), RunID: "run", StepID: "s", Definition: "expense",
			CandidateGroups: []string{"g1"},
			CreatedAt:       testNow.Add(time.Duration(i%3) * time.Minute),
		}
		if i%5 != 0 {
			task.DueAt = at(time.Duration(i%4) * time.Hour)
		}
		if i%6 == 0 {
			task.Assignees = []string{"u1"}
		}
		require.NoError(t, db.OpenTask(ctx, task))
		all = append(all, task)
	}
	slices.SortFunc(all, func(a, b Task) int {
		far := time.Unix(1<<40, 0)
		da, dbb := far, far
		if a.DueAt != nil {
			da = *a.DueAt
		}
		if b.DueAt != nil {
			dbb = *b.DueAt
		}
		return cmp.Or(da.Compare(dbb), a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	want := taskIDs(all)

	for _, limit := range []int{1, 4, 10, 31, 100} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			var got []string
			f := TaskFilter{Assignee: "u1", Groups: []string{"g1"}, Status: "open", Limit: limit}
			for pages := 1; ; pages++ {
				require.LessOrEqual(t, pages, 40, "pagination terminates")
				page, next, err := db.ListTasks(ctx, f)
				require.NoError(t, err)
				require.LessOrEqual(t, len(page), limit)
				got = append(got, taskIDs(page)...)
				if next == "" {
					require.Equal(t, (len(want)+limit-1)/limit, pages)
					break
				}
				f.After = next
			}
			require.Equal(t, want, got, "every task exactly once, in order")
		})
	}
}

// TestWriteInboxIsAtomic sends writes as one pipelined batch: a retried close is fine, a
// conflicting or unknown close rolls the whole write back, and a bad row names itself.
func TestWriteInboxIsAtomic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	run := Run{ID: "r1", Definition: "d", Version: 1, Status: "running", StartedAt: testNow}
	first := Task{ID: "r1.a", RunID: "r1", StepID: "a", Definition: "d", Assignees: []string{"u1"}}
	require.NoError(t, db.WriteInbox(ctx, InboxWrite{Run: &run, Open: []Task{first}}))

	closeA := Task{ID: "r1.a", Status: "completed", CompletedBy: "u1"}
	next := Task{ID: "r1.b", RunID: "r1", StepID: "b", Definition: "d", Assignees: []string{"u2"}}
	w := InboxWrite{Close: []Task{closeA}, Open: []Task{next}}
	require.NoError(t, db.WriteInbox(ctx, w))
	require.NoError(t, db.WriteInbox(ctx, w), "a retried write converges")

	// Cancelling a completed task conflicts: nothing of that write stays.
	third := Task{ID: "r1.c", RunID: "r1", StepID: "c", Definition: "d", Assignees: []string{"u3"}}
	err := db.WriteInbox(ctx, InboxWrite{Close: []Task{{ID: "r1.a", Status: "cancelled"}}, Open: []Task{third}})
	require.ErrorIs(t, err, ErrConflict)
	_, err = db.Task(ctx, "r1.c")
	require.ErrorIs(t, err, ErrNotFound, "the write was rolled back")

	err = db.WriteInbox(ctx, InboxWrite{Close: []Task{{ID: "r1.nope", Status: "completed"}}, Open: []Task{third}})
	require.ErrorIs(t, err, ErrNotFound)
	_, err = db.Task(ctx, "r1.c")
	require.ErrorIs(t, err, ErrNotFound, "the write was rolled back")

	// A statement that fails inside the batch names what it was doing.
	bad := Task{ID: "r1.d", RunID: "r1", StepID: "d", Definition: "d", Form: json.RawMessage(`{"not": "a list"`)}
	err = db.WriteInbox(ctx, InboxWrite{Open: []Task{third, bad}})
	require.ErrorContains(t, err, "open task r1.d")
	_, err = db.Task(ctx, "r1.c")
	require.ErrorIs(t, err, ErrNotFound, "the write was rolled back")

	b, err := db.Task(ctx, "r1.b")
	require.NoError(t, err)
	require.Equal(t, "open", b.Status)
}
