package baseline

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/workflows"
)

// sync writes to the inbox projection: the closed tasks not yet written, the tasks to
// open, notifications, and the run row on the first write and when the run ends. The
// activity options are the interpreter's (a local activity, as from interpreter version 2).
func (f *flow) sync(ctx workflow.Context, open []workflows.Task, notify []workflows.Notification) error {
	s := workflows.InboxSync{Close: f.closing, Notify: notify}
	for _, t := range open {
		s.Open = append(s.Open, workflows.TaskOpening{Task: t})
	}
	if !f.projected || f.status != workflows.StatusRunning {
		s.Run = f.record()
	}
	summary := "Record run started"
	switch {
	case len(open) == 1:
		summary = "Assign task: " + open[0].Title
	case len(open) > 1:
		summary = fmt.Sprintf("Assign %d tasks", len(open))
	case f.status != workflows.StatusRunning:
		summary = "Record run " + f.status
	case len(f.closing) > 0:
		summary = fmt.Sprintf("Record %d closed task(s)", len(f.closing))
	}
	actx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		Summary:             summary,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2,
			MaximumInterval: time.Minute},
	})
	var res workflows.InboxResult
	if err := workflow.ExecuteLocalActivity(actx, workflows.ActivitySyncInbox, s).Get(actx, &res); err != nil {
		return fmt.Errorf("sync inbox: %w", err)
	}
	f.closing = nil
	f.projected = true
	for i, t := range open {
		if i < len(res.Assignees) {
			t.Assignees = res.Assignees[i]
		}
		f.open = append(f.open, t)
	}
	return nil
}

func (f *flow) record() *workflows.RunRecord {
	r := &workflows.RunRecord{ID: f.id, Definition: f.key, Version: f.in.Version, Status: f.status,
		Summary: f.in.Title, StartedBy: f.in.StartedBy, StartedAt: f.started}
	if f.status != workflows.StatusRunning {
		now := f.now()
		r.CompletedAt = &now
	}
	return r
}

// rest brings Temporal Web up to date and marks the run at rest, so that a waiting
// Update may answer.
func (f *flow) rest() {
	f.visibility()
	f.resting = true
}

// visibility keeps the search attributes (upserted only when they change) and Temporal
// Web's current details true to the open tasks.
func (f *flow) visibility() {
	steps, assignees := []string{}, []string{}
	overdue := false
	for _, t := range f.open {
		steps = append(steps, t.StepID)
		assignees = append(assignees, t.Assignees...)
		overdue = overdue || t.Overdue
	}
	slices.Sort(steps)
	slices.Sort(assignees)
	steps, assignees = slices.Compact(steps), slices.Compact(assignees)
	var updates []temporal.SearchAttributeUpdate
	if !slices.Equal(steps, f.lastSteps) {
		updates = append(updates, workflows.AttrOpenSteps.ValueSet(steps))
	}
	if !slices.Equal(assignees, f.lastAssignees) {
		updates = append(updates, workflows.AttrAssignees.ValueSet(assignees))
	}
	if overdue != f.lastOverdue {
		updates = append(updates, workflows.AttrOverdue.ValueSet(overdue))
	}
	if len(updates) > 0 {
		if err := workflow.UpsertTypedSearchAttributes(f.ctx, updates...); err != nil {
			workflow.GetLogger(f.ctx).Warn("upsert search attributes", "error", err)
		}
		f.lastSteps, f.lastAssignees, f.lastOverdue = steps, assignees, overdue
	}
	workflow.SetCurrentDetails(f.ctx, f.currentDetails())
}

// openTasks writes tasks to the inbox (with the closed ones) and rests.
func (f *flow) openTasks(ctx workflow.Context, tasks ...workflows.Task) error {
	if err := f.sync(ctx, tasks, nil); err != nil {
		return err
	}
	f.rest()
	return nil
}

// await waits until the task is completed and returns it; the completing Update has
// already marked the run busy.
func (f *flow) await(ctx workflow.Context, id string) (workflows.Task, error) {
	var t workflows.Task
	err := workflow.Await(ctx, func() bool {
		var ok bool
		t, ok = f.closed[id]
		return ok
	})
	return t, err
}

// finish records the end of the run and waits for Update handlers.
func (f *flow) finish(ctx workflow.Context) error {
	f.status = workflows.StatusCompleted
	if err := f.sync(ctx, nil, nil); err != nil {
		return err
	}
	f.rest()
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}
