package activities

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"

	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// RebuildOutcome says what Rebuild did with one run.
type RebuildOutcome struct {
	Tasks int // tasks written
	// Written is false when there was nothing to write (the history holds no inbox
	// write) or when the projection already holds a later write of the run (it moved on
	// while its history was read: it is as new as the history, or newer).
	Written bool
}

// Rebuild rewrites one run's projection (its runs row, its tasks and their inbox
// entries) as its history says: history is the events of the run's executions, the
// first first (evidence.FetchHistory). The inbox writes it holds are applied in order,
// and the result is written as one ordered write that names every task of the run, so
// the run's other task rows go. It queues no email and no event. It is what
// `handoff inbox rebuild` does for each run, after a point-in-time restore of Postgres
// or whenever the projection is in doubt.
func (a *Activities) Rebuild(ctx context.Context, history []*historypb.HistoryEvent, dc converter.DataConverter) (RebuildOutcome, error) {
	var (
		run   *workflows.RunRecord
		tasks = map[string]workflows.Task{}
		last  workflows.InboxSync
		write string
	)
	writes, err := workflows.InboxWrites(history, dc)
	if err != nil {
		return RebuildOutcome{}, err
	}
	for _, res := range writes {
		w := res.Written
		if w.Run != nil {
			run = w.Run
		}
		for _, t := range w.Close {
			tasks[t.ID] = t
		}
		for _, o := range w.Open {
			tasks[o.Task.ID] = o.Task
		}
		if w.Seq != 0 {
			last, write = *w, res.WriteID
		}
	}
	if run == nil {
		return RebuildOutcome{}, nil
	}
	row := runRow(*run)
	// The run's latest write names the rebuild: a write the run makes later has a later
	// fence and replaces it; one that landed while the histories were read refuses it.
	w := postgres.InboxWrite{Run: &row, Whole: true,
		Sync: &postgres.SyncPoint{Seq: last.Seq, Fence: last.Fence, Write: write, FenceAt: time.Time{}}}
	if last.FenceAt != nil {
		w.Sync.FenceAt = *last.FenceAt
	}
	for _, id := range slices.Sorted(maps.Keys(tasks)) {
		t, err := taskRow(tasks[id])
		if err != nil {
			return RebuildOutcome{}, err
		}
		if t.Status == workflows.TaskOpen {
			w.Held = append(w.Held, t)
		} else {
			w.Close = append(w.Close, t)
		}
	}
	err = a.DB.WriteInbox(ctx, w)
	if errors.Is(err, postgres.ErrSuperseded) {
		return RebuildOutcome{}, nil
	}
	if err != nil {
		return RebuildOutcome{}, fmt.Errorf("rebuild run %s: %w", run.ID, err)
	}
	return RebuildOutcome{Tasks: len(tasks), Written: true}, nil
}
