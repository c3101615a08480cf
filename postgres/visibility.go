package postgres

import (
	"context"
	"fmt"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

// RunVisible reports whether the user may see the run (spec §6): admins and auditors
// every run; anyone else a run they started, are or were an assignee, claimant or
// completer of a task of, whose task is or was offered to one of their groups, or whose
// definition version lists them (or a group of theirs) in its viewers role. An unknown
// user sees nothing; a run not yet in the projection is seen only by admins and
// auditors. The rule itself is the SQL function run_visible (migration 009), which
// ListRuns (RunFilter.Viewer) and the outbound events use too.
func (db *DB) RunVisible(ctx context.Context, runID, userID string) (bool, error) {
	ok, err := db.q.RunVisible(ctx, db.pool, dbsqlc.RunVisibleParams{RunID: runID, Viewer: userID})
	if err != nil {
		return false, fmt.Errorf("check who may see run %s: %w", runID, interpretError(err))
	}
	return ok, nil
}
