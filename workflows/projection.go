package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

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
// whenever the run is no longer running.
func (r *run) syncResult(ctx workflow.Context, s InboxSync) (InboxResult, error) {
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

// syncRetry retries projection writes until Postgres answers: they are idempotent.
var syncRetry = &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: time.Minute}

// runSync executes ActivitySyncInbox. From interpreter version 2 it is a local
// activity: the write runs inside the workflow task that decided it, so a completion's
// Update answers after one workflow task instead of an activity round trip and a second
// task (three fewer history events and two fewer server round trips per write). Runs
// started on version 1 keep the regular activity they recorded.
func (r *run) runSync(ctx workflow.Context, s InboxSync, res *InboxResult) error {
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
	return &RunRecord{
		ID: r.state.ID, Definition: r.state.Definition, Version: r.state.Version,
		Status: r.state.Status, BusinessKey: r.state.BusinessKey, Summary: r.state.Summary,
		StartedBy: r.state.StartedBy, StartedAt: r.state.StartedAt, CompletedAt: r.state.CompletedAt,
		Error: r.state.Error,
	}
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
	case s.Run != nil:
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
