package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/handoffhq/handoff/postgres"
)

// MaySeeRun reports whether u may see the run: its inputs, data, tasks, audit,
// evidence and events (spec §6). Admins and auditors see every run; anyone else a run
// they started, are or were an assignee, claimant or completer of a task of, whose task
// is or was offered to one of their groups, or whose definition lists them or a group of
// theirs in its `viewers` role. The rule lives in one place, Postgres's run_visible
// (migration 009, postgres.DB.RunVisible); every transport asks it through here and
// answers a run its caller may not see exactly as one that does not exist (404).
func (s *Server) MaySeeRun(ctx context.Context, u postgres.User, runID string) (bool, error) {
	return s.db.RunVisible(ctx, runID, u.ID)
}

// seeRun is nil when the caller may see the run, else the 404 of an unknown run.
func (s *Server) seeRun(ctx context.Context, me postgres.User, runID string) error {
	ok, err := s.MaySeeRun(ctx, me, runID)
	if err != nil {
		return err
	}
	if !ok {
		return problem(http.StatusNotFound, fmt.Sprintf("no run %q", runID))
	}
	return nil
}

// seeTask is nil when the caller may see the task's run. Whoever may act on a task, or
// completed it, is among its run's viewers by the same rule, so they need no query.
func (s *Server) seeTask(ctx context.Context, me postgres.User, t postgres.Task) error {
	if mayWorkOn(me, t) || t.CompletedBy == me.ID {
		return nil
	}
	ok, err := s.MaySeeRun(ctx, me, t.RunID)
	if err != nil {
		return err
	}
	if !ok {
		return problem(http.StatusNotFound, fmt.Sprintf("no task %q", t.ID))
	}
	return nil
}
