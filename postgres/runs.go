package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

// Run is the projection of one workflow run; Temporal is the source of truth.
type Run struct {
	ID, Definition string
	Version        int
	Status         string // "running" | "completed" | "failed" | "cancelled"
	BusinessKey    string
	Summary        string
	StartedBy      string
	StartedAt      time.Time // zero means now
	CompletedAt    *time.Time
}

// RunFilter selects runs for ListRuns. Empty fields do not filter.
type RunFilter struct {
	Definition, Status string
	// After is the ID of the last run of the previous page. Runs are ordered
	// by (started_at DESC, id DESC) and the page continues strictly after
	// that run's (started_at, id), so the cursor stays valid while new runs
	// start. An After that names no run yields an empty page.
	After string
	Limit int // <= 0 means 100; at most 1000
	// Viewer, when set, keeps only the runs that user may see (see RunVisible).
	Viewer string
}

// UpsertRun inserts r or updates its status, summary and completed_at.
// Idempotent. An empty Summary or nil CompletedAt keeps the stored value, and
// a run in a terminal status is never set back to "running".
func (db *DB) UpsertRun(ctx context.Context, r Run) error {
	return db.upsertRun(ctx, db.pool, r)
}

func (db *DB) upsertRun(ctx context.Context, dbtx dbsqlc.DBTX, r Run) error {
	var startedAt *time.Time
	if !r.StartedAt.IsZero() {
		startedAt = &r.StartedAt
	}
	err := db.q.UpsertRun(ctx, dbtx, dbsqlc.UpsertRunParams{
		ID:          r.ID,
		Definition:  r.Definition,
		Version:     int32(r.Version),
		Status:      r.Status,
		BusinessKey: r.BusinessKey,
		Summary:     r.Summary,
		StartedBy:   r.StartedBy,
		StartedAt:   startedAt,
		CompletedAt: r.CompletedAt,
	})
	if err != nil {
		return fmt.Errorf("upsert run %s: %w", r.ID, interpretError(err))
	}
	return nil
}

// Run returns the run with id.
func (db *DB) Run(ctx context.Context, id string) (Run, error) {
	row, err := db.q.Run(ctx, db.pool, id)
	if err != nil {
		return Run{}, fmt.Errorf("load run %s: %w", id, interpretError(err))
	}
	return runFromRow(row), nil
}

// ActiveRunByBusinessKey returns the most recently started running run of
// definition with businessKey, or ErrNotFound.
func (db *DB) ActiveRunByBusinessKey(ctx context.Context, definition, businessKey string) (Run, error) {
	row, err := db.q.ActiveRunByBusinessKey(ctx, db.pool, dbsqlc.ActiveRunByBusinessKeyParams{
		Definition: definition, BusinessKey: businessKey,
	})
	if err != nil {
		return Run{}, fmt.Errorf("load active run %s/%s: %w", definition, businessKey, interpretError(err))
	}
	return runFromRow(row), nil
}

// ListRuns returns runs newest first (started_at DESC, id DESC); see RunFilter.
func (db *DB) ListRuns(ctx context.Context, f RunFilter) ([]Run, error) {
	rows, err := db.q.ListRuns(ctx, customPlans{db.pool}, dbsqlc.ListRunsParams{
		Definition: f.Definition,
		Viewer:     f.Viewer,
		Status:     f.Status,
		After:      f.After,
		Lim:        int32(pageSize(f.Limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", interpretError(err))
	}
	out := make([]Run, 0, len(rows))
	for _, r := range rows {
		out = append(out, runFromRow(r))
	}
	return out, nil
}

func runFromRow(r dbsqlc.Run) Run {
	return Run{
		ID:          r.ID,
		Definition:  r.Definition,
		Version:     int(r.Version),
		Status:      r.Status,
		BusinessKey: r.BusinessKey,
		Summary:     r.Summary,
		StartedBy:   r.StartedBy,
		StartedAt:   r.StartedAt,
		CompletedAt: r.CompletedAt,
	}
}
