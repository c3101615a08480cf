package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// The inbox projection (the runs, tasks and inbox_entries tables) is written by
// ActivitySyncInbox, a local activity from interpreter version 2 on: the write runs
// inside the workflow task that decided it. Temporal may throw that workflow task away
// after the write (a racing Update's speculative task, a worker that dies or stalls
// before it answers), and the next task may decide otherwise: a losing completion's
// write would then stay in the inbox although the history never made it. From version 3
// the writes are ordered so that the projection always ends up as the history says:
//
//   - a run makes one write at a time, each numbered (Seq, carried across
//     continue-as-new) and never cancelled once started, so a run's writes reach
//     Postgres in the order it made them;
//   - each write carries the run's whole projected state (the run row, the tasks it
//     closes, opens or reassigns, and every other open task), which Postgres writes as
//     state: a later true write replaces whatever a discarded one left, deleting the
//     open tasks it does not name;
//   - each write carries a fence, how far the history had got (the execution, the
//     history length at its workflow task, then that task's start), so a write from a
//     discarded task that lands after a true one made further on is refused (a
//     discarded task's write can still be running when the task that replaces it
//     starts: its workflow task was given up on while it waited for the write);
//   - the activity makes a random id for each write and returns it, so the write that
//     counted is in the history (its LocalActivity marker). Deliveries the write queues
//     carry (Seq, id): the dispatcher sends them only once QuerySync says the write is
//     in the history, and a write deletes the unsent deliveries of other writes at its
//     number or later.
//
// docs/reliability.md, "Racing completions", says what this costs.

// syncLogSize is how many of its latest writes a run keeps for QuerySync.
const syncLogSize = 32

// projection is the run's side of the ordered writes.
type projection struct {
	seq     int64       // the number of the last write made (0: none yet)
	writing bool        // a write is in flight: the next waits
	log     []SyncWrite // the latest writes that completed, oldest first
}

// flush writes pending projection changes, if any.
func (r *run) flush(ctx workflow.Context) error {
	if len(r.closing) == 0 && len(r.journal) == 0 && r.projected {
		return nil
	}
	return r.sync(ctx, InboxSync{})
}

// sync writes changes to the inbox projection, along with closed tasks pending.
func (r *run) sync(ctx workflow.Context, s InboxSync) error {
	_, err := r.syncResult(ctx, s)
	return err
}

// syncResult runs ActivitySyncInbox. The run row goes along on the first write and
// whenever the run is no longer running (and on every write from version 3).
func (r *run) syncResult(ctx workflow.Context, s InboxSync) (InboxResult, error) {
	if r.version >= 3 {
		return r.syncOrdered(ctx, s)
	}
	pending, journal := r.closing, r.journal
	r.closing, r.journal = nil, nil
	s.Close = append(pending, s.Close...)
	s.Journal = append(journal, s.Journal...)
	if !r.projected || r.state.Status != StatusRunning {
		s.Run = r.record()
	}
	var res InboxResult
	if err := r.runSync(ctx, s, &res); err != nil {
		r.closing = append(pending, r.closing...) // keep them for the next write
		r.journal = append(journal, r.journal...)
		return res, fmt.Errorf("sync inbox: %w", err)
	}
	r.projected = true
	return res, nil
}

// syncOrdered makes an ordered write (version 3): after the write in flight, numbered,
// with the run's whole projected state, on a context that is never cancelled.
func (r *run) syncOrdered(ctx workflow.Context, s InboxSync) (InboxResult, error) {
	if err := workflow.Await(ctx, func() bool { return !r.proj.writing }); err != nil {
		return InboxResult{}, fmt.Errorf("sync inbox: %w", err)
	}
	r.proj.writing = true
	defer func() { r.proj.writing = false }()
	pending, journal := r.closing, r.journal
	r.closing, r.journal = nil, nil
	s.Close = append(pending, s.Close...)
	s.Journal = append(journal, s.Journal...)
	s.Run, s.Started = r.record(), !r.projected
	r.proj.seq = r.nextSeq()
	s.Seq = r.proj.seq
	// The fence: the execution and the history length at this workflow task, then the
	// task's start (two tasks Temporal made from the same history, one discarded, have
	// the same length; the one that replaced it started later).
	at := r.now()
	s.Fence, s.FenceAt = int64(r.continued)<<16|int64(workflow.GetInfo(ctx).GetCurrentHistoryLength()), &at
	named := map[string]bool{}
	for _, o := range s.Open {
		named[o.Task.ID] = true
	}
	for _, t := range s.Close {
		named[t.ID] = true
	}
	for _, t := range r.state.OpenTasks {
		if !named[t.ID] {
			s.Held = append(s.Held, t)
		}
	}
	// Once started, a write finishes even if the coroutine that asked for it is
	// cancelled: its outcome decides what the next write carries.
	wctx, _ := workflow.NewDisconnectedContext(ctx)
	var res InboxResult
	if err := r.runSync(wctx, s, &res); err != nil {
		r.closing = append(pending, r.closing...) // keep them for the next write
		r.journal = append(journal, r.journal...)
		return res, fmt.Errorf("sync inbox: %w", err)
	}
	r.proj.log = append(r.proj.log, SyncWrite{Seq: s.Seq, ID: res.WriteID})
	if len(r.proj.log) > syncLogSize {
		r.proj.log = slices.Delete(r.proj.log, 0, len(r.proj.log)-syncLogSize)
	}
	r.projected = true
	return res, nil
}

// nextSeq numbers the next write: one more than the last, and the first is the run's
// start in microseconds plus one, so that numbers grow from one run of an id to the
// next as well (a run makes far fewer writes than microseconds pass).
func (r *run) nextSeq() int64 {
	if r.proj.seq == 0 {
		return r.state.StartedAt.UnixMicro() + 1
	}
	return r.proj.seq + 1
}

// syncLog answers QuerySync.
func (r *run) syncLog() SyncLog {
	last := r.proj.seq
	if r.proj.writing {
		last-- // the write in flight is not in the history yet
	}
	return SyncLog{Last: last, Writes: slices.Clone(r.proj.log)}
}

// syncRetry retries projection writes until Postgres answers: they are idempotent.
var syncRetry = &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: time.Minute}

// syncRetryForever (version 3) retries a write for as long as Postgres is away: the
// backoff stays below the workflow task timeout, so the SDK retries in the worker and
// keeps the workflow task alive (a heartbeat every 8 s) instead of failing the run or
// waiting on timers; a write goes through at most 5 s after Postgres is back.
var syncRetryForever = &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 5 * time.Second}

// syncForever bounds an ordered write's retries: never, in practice. Without it a local
// activity's retries stop at its StartToCloseTimeout (30 s), and the run failed with
// "sync inbox: connection refused" after a Postgres outage of half a minute.
const syncForever = 100 * 365 * 24 * time.Hour

// runSync executes ActivitySyncInbox. From interpreter version 2 it is a local
// activity: the write runs inside the workflow task that decided it, so a completion's
// Update answers after one workflow task instead of an activity round trip and a second
// task (three fewer history events and two fewer server round trips per write). Runs
// started on version 1 keep the regular activity they recorded. From version 3 its
// retries last as long as Postgres is away.
func (r *run) runSync(ctx workflow.Context, s InboxSync, res *InboxResult) error {
	if r.version >= 3 {
		ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			ScheduleToCloseTimeout: syncForever,
			StartToCloseTimeout:    30 * time.Second,
			Summary:                inboxSummary(s),
			RetryPolicy:            syncRetryForever,
		})
		return workflow.ExecuteLocalActivity(ctx, ActivitySyncInbox, s).Get(ctx, res)
	}
	if r.version >= 2 {
		ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout: 30 * time.Second,
			Summary:             inboxSummary(s),
			RetryPolicy:         syncRetry,
		})
		return workflow.ExecuteLocalActivity(ctx, ActivitySyncInbox, s).Get(ctx, res)
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		Summary:             inboxSummary(s),
		RetryPolicy:         syncRetry,
	})
	return workflow.ExecuteActivity(ctx, ActivitySyncInbox, s).Get(ctx, res)
}

// record is the run row of the projection.
func (r *run) record() *RunRecord {
	rec := &RunRecord{
		ID: r.state.ID, Definition: r.state.Definition, Version: r.state.Version,
		Status: r.state.Status, BusinessKey: r.state.BusinessKey, Summary: r.state.Summary,
		StartedBy: r.state.StartedBy, StartedAt: r.state.StartedAt, CompletedAt: r.state.CompletedAt,
	}
	if r.state.Status == StatusFailed {
		rec.Error = publicError(r.runErr, r.state.Error)
		for i := len(r.state.Steps) - 1; i >= 0; i-- {
			if r.state.Steps[i].Status == StepFailed {
				rec.FailedStep = r.state.Steps[i].ID
				break
			}
		}
	}
	return rec
}

// publicError says why a run failed in words for people and subscribers: the message
// of the innermost application error (what the step's activity or check said), without
// the activity, event ids and worker identity Temporal's error texts carry.
func publicError(err error, fallback string) string {
	msg := ""
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch e := e.(type) {
		case *temporal.ApplicationError:
			msg = e.Message()
		case *temporal.TimeoutError:
			msg = "timed out"
		case *temporal.CanceledError:
			msg = "cancelled"
		}
	}
	if msg == "" {
		return fallback
	}
	return msg
}

// inboxSummary describes an inbox write in plain words for Temporal Web.
func inboxSummary(s InboxSync) string {
	switch {
	case len(s.Open) == 1:
		return "Assign task: " + s.Open[0].Task.Title
	case len(s.Open) > 1:
		return fmt.Sprintf("Assign %d tasks", len(s.Open))
	case s.Run != nil && s.Run.Status != StatusRunning:
		return "Record run " + s.Run.Status
	case len(s.Close) > 0:
		return fmt.Sprintf("Record %d closed task(s)", len(s.Close))
	case len(s.Notify) > 0:
		return notifySummary(s.Notify[0])
	case s.Started || s.Seq == 0 && s.Run != nil:
		return "Record run started"
	default:
		return "Record the run's decisions"
	}
}

// notifySummary names a deadline's inbox write: marking a task overdue, a reminder, an escalation.
func notifySummary(n Notification) string {
	switch n.Event {
	case EventTaskOverdue:
		return "Mark overdue: " + n.Title
	case EventTaskReminder:
		return "Remind about: " + n.Title
	case EventTaskEscalated:
		return "Escalate: " + n.Title
	}
	return "Notify about: " + n.Title
}
