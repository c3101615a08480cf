package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// A run's inbox writes (interpreter version 3) run as local activities, inside the
// workflow task that decided them, and Temporal may discard that task after the write:
// what the write queued must then never be sent. Such deliveries name their write (run,
// number, id), and the run says which of its writes are in its history (QuerySync):
//
//   - a write in the history: its deliveries go;
//   - another write at the same number in the history: this one was discarded, and its
//     deliveries are deleted (the true write normally deletes them first);
//   - a number the history has not reached: the workflow task is still going, or was
//     discarded and the run has not written that far again; the delivery waits.

// Confirmed answers Config.InHistory from Temporal: it queries the run.
func Confirmed(tc client.Client) func(ctx context.Context, runID string) (workflows.SyncLog, error) {
	return func(ctx context.Context, runID string) (workflows.SyncLog, error) {
		var log workflows.SyncLog
		// A run that does not answer (its worker is away) holds back only its own
		// deliveries: the batch goes on without it and asks again later.
		ctx, cancel := context.WithTimeout(ctx, syncQueryTimeout)
		defer cancel()
		v, err := tc.QueryWorkflow(ctx, runID, "", workflows.QuerySync)
		if err != nil {
			return log, err
		}
		if err := v.Get(&log); err != nil {
			return log, fmt.Errorf("decode the sync log of run %s: %w", runID, err)
		}
		return log, nil
	}
}

// syncQueryTimeout bounds the question to a run about its writes.
const syncQueryTimeout = 5 * time.Second

// confirmed returns the deliveries that may go now: those no write names, and those of
// writes in their run's history. It deletes the deliveries of discarded writes and
// gives the others back for later (without counting an attempt).
func (d *Dispatcher) confirmed(ctx context.Context, items []postgres.OutboxItem) []postgres.OutboxItem {
	if d.cfg.InHistory == nil {
		return items
	}
	logs := map[string]*workflows.SyncLog{}
	var ready []postgres.OutboxItem
	for _, it := range items {
		if it.SyncWrite == "" {
			ready = append(ready, it)
			continue
		}
		log, ok := logs[it.RunID]
		if !ok {
			l, err := d.cfg.InHistory(ctx, it.RunID)
			var nf *serviceerror.NotFound
			switch {
			case errors.As(err, &nf):
				log = nil // the run is gone from Temporal (retention): nothing left to check against
			case err != nil:
				d.log.Debug("outbox: ask a run which writes it holds", "run_id", it.RunID, "error", err)
				log = &workflows.SyncLog{Last: -1}
			default:
				log = &l
			}
			logs[it.RunID] = log
		}
		switch writeState(log, it) {
		case writeHeld:
			ready = append(ready, it)
		case writeDiscarded:
			if err := d.db.DeleteDelivery(ctx, it.ID); err != nil {
				d.log.Warn("outbox: delete a discarded write's delivery", "id", it.ID, "error", err)
			}
		default:
			// Ask again soon, then less often: a discarded write's delivery waits until
			// the run writes at its number again.
			wait := min(time.Minute, max(200*time.Millisecond, time.Since(it.CreatedAt)/2))
			if err := d.db.OutboxHold(ctx, it.ID, wait); err != nil {
				d.log.Warn("outbox: hold a delivery", "id", it.ID, "error", err)
			}
		}
	}
	return ready
}

const (
	writePending = iota
	writeHeld
	writeDiscarded
)

// writeState says where the delivery's write stands in its run's history (log nil: the
// run is gone, which only old writes outlive).
func writeState(log *workflows.SyncLog, it postgres.OutboxItem) int {
	if log == nil {
		return writeHeld
	}
	if it.SyncSeq > log.Last {
		return writePending
	}
	for _, w := range log.Writes {
		if w.Seq == it.SyncSeq {
			if w.ID == it.SyncWrite {
				return writeHeld
			}
			return writeDiscarded
		}
	}
	return writeHeld // older than the writes the run lists: it was in the history then
}
