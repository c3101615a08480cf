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
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		Summary:             inboxSummary(s),
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    200 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
	var res InboxResult
	if err := workflow.ExecuteActivity(ctx, ActivitySyncInbox, s).Get(ctx, &res); err != nil {
		r.closing = append(pending, r.closing...) // keep them for the next write
		r.journal = append(journal, r.journal...)
		return res, fmt.Errorf("sync inbox: %w", err)
	}
	r.projected = true
	return res, nil
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
	default:
		return "Record run started"
	}
}
