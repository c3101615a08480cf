package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestUpsertRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	r := Run{ID: "run-1", Definition: "expense", Version: 2, Status: "running", BusinessKey: "INV-7", StartedBy: "alice", StartedAt: started}
	require.NoError(t, db.UpsertRun(ctx, r))
	require.NoError(t, db.UpsertRun(ctx, r), "idempotent")

	got, err := db.Run(ctx, "run-1")
	require.NoError(t, err)
	require.Equal(t, "running", got.Status)
	require.True(t, started.Equal(got.StartedAt))
	require.Nil(t, got.CompletedAt)
	require.Equal(t, "INV-7", got.BusinessKey)

	active, err := db.ActiveRunByBusinessKey(ctx, "expense", "INV-7")
	require.NoError(t, err)
	require.Equal(t, "run-1", active.ID)

	done := started.Add(time.Hour)
	r.Status, r.Summary, r.CompletedAt = "completed", "approved", &done
	require.NoError(t, db.UpsertRun(ctx, r))

	// A late retry of the start projection must not undo completion.
	require.NoError(t, db.UpsertRun(ctx, Run{ID: "run-1", Definition: "expense", Version: 2, Status: "running", StartedAt: started}))

	got, err = db.Run(ctx, "run-1")
	require.NoError(t, err)
	require.Equal(t, "completed", got.Status)
	require.Equal(t, "approved", got.Summary)
	require.NotNil(t, got.CompletedAt)
	require.True(t, done.Equal(*got.CompletedAt))
	require.Equal(t, "alice", got.StartedBy)

	_, err = db.ActiveRunByBusinessKey(ctx, "expense", "INV-7")
	require.ErrorIs(t, err, ErrNotFound)
	_, err = db.Run(ctx, "nope")
	require.ErrorIs(t, err, ErrNotFound)

	require.Error(t, db.UpsertRun(ctx, Run{ID: "run-2", Definition: "expense", Version: 1, Status: "bogus"}), "status is checked")
}

func TestListRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	// 12 runs; pairs share started_at so the id breaks ties.
	for i := range 12 {
		status := "running"
		if i%3 == 0 {
			status = "completed"
		}
		def := "expense"
		if i%2 == 1 {
			def = "onboarding"
		}
		require.NoError(t, db.UpsertRun(ctx, Run{
			ID: fmt.Sprintf("run-%02d", i), Definition: def, Version: 1, Status: status,
			StartedAt: base.Add(time.Duration(i/2) * time.Minute),
		}))
	}
	ids := func(rs []Run) []string {
		out := []string{}
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}

	tests := []struct {
		name   string
		filter RunFilter
		want   []string
	}{
		{"all newest first", RunFilter{}, []string{"run-11", "run-10", "run-09", "run-08", "run-07", "run-06", "run-05", "run-04", "run-03", "run-02", "run-01", "run-00"}},
		{"by definition", RunFilter{Definition: "onboarding"}, []string{"run-11", "run-09", "run-07", "run-05", "run-03", "run-01"}},
		{"by status", RunFilter{Status: "completed"}, []string{"run-09", "run-06", "run-03", "run-00"}},
		{"both", RunFilter{Definition: "expense", Status: "completed"}, []string{"run-06", "run-00"}},
		{"limit", RunFilter{Limit: 3}, []string{"run-11", "run-10", "run-09"}},
		{"after a tie", RunFilter{After: "run-09", Limit: 3}, []string{"run-08", "run-07", "run-06"}},
		{"after with filter", RunFilter{Definition: "onboarding", After: "run-07"}, []string{"run-05", "run-03", "run-01"}},
		{"after unknown id", RunFilter{After: "nope"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.ListRuns(ctx, tt.filter)
			require.NoError(t, err)
			require.Equal(t, tt.want, ids(got))
		})
	}

	var all []string
	f := RunFilter{Limit: 5}
	for {
		page, err := db.ListRuns(ctx, f)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		all = append(all, ids(page)...)
		f.After = page[len(page)-1].ID
	}
	require.Equal(t, tests[0].want, all, "paging visits every run once")
}
