package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// SyncInbox writes a run's changes to the projection — the run row, tasks closed, tasks
// opened (resolving managers against the directory) — and queues what they cause in the
// outbox: emails to the people concerned and events for subscriptions. It is one
// transaction, so a notification is queued if and only if its change is written; every
// part is idempotent, so a retried attempt converges on the same rows and queues nothing
// twice (see outbound for the dedupe keys).
func (a *Activities) SyncInbox(ctx context.Context, s workflows.InboxSync) (workflows.InboxResult, error) {
	var w postgres.InboxWrite
	if s.Run != nil {
		run := runRow(*s.Run)
		w.Run = &run
	}
	for _, t := range s.Close {
		row, err := taskRow(t)
		if err != nil {
			return workflows.InboxResult{}, err
		}
		w.Close = append(w.Close, row)
	}
	res := workflows.InboxResult{Assignees: make([][]string, 0, len(s.Open))}
	opened := make([]workflows.Task, 0, len(s.Open))
	for _, o := range s.Open {
		assignees, err := a.resolveManagers(ctx, o)
		if err != nil {
			return workflows.InboxResult{}, err
		}
		o.Task.Assignees = assignees
		row, err := taskRow(o.Task)
		if err != nil {
			return workflows.InboxResult{}, err
		}
		w.Open = append(w.Open, row)
		opened = append(opened, o.Task)
		res.Assignees = append(res.Assignees, assignees)
	}
	w.Emails, w.Events = outbound(ctx, s, opened)
	if err := a.DB.WriteInbox(ctx, w); err != nil {
		return workflows.InboxResult{}, fmt.Errorf("sync inbox: %w", err)
	}
	a.logInbox(ctx, s.Close, opened)
	if activity.IsActivity(ctx) && activity.GetInfo(ctx).IsLocalActivity {
		res.Written = &s
	}
	return res, nil
}

// resolveManagers adds the managers of the users named by o.ManagerOf to the task's assignees.
// A user without a manager, or unknown to the directory, is a permanent error: retrying
// cannot fix the directory, and the run must not wait on nobody.
func (a *Activities) resolveManagers(ctx context.Context, o workflows.TaskOpening) ([]string, error) {
	assignees := slices.Clone(o.Task.Assignees)
	for _, id := range o.ManagerOf {
		u, err := a.DB.User(ctx, id)
		if errors.Is(err, postgres.ErrNotFound) {
			return nil, temporal.NewNonRetryableApplicationError("unknown user "+id, "UnknownUser", err)
		}
		if err != nil {
			return nil, fmt.Errorf("look up user %s: %w", id, err)
		}
		manager, err := a.manager(ctx, u)
		if err != nil {
			return nil, err
		}
		if manager == "" {
			return nil, temporal.NewNonRetryableApplicationError("user "+id+" has no active manager", "NoManager", nil)
		}
		if !slices.Contains(assignees, manager) {
			assignees = append(assignees, manager)
		}
	}
	return assignees, nil
}

func runRow(r workflows.RunRecord) postgres.Run {
	return postgres.Run{
		ID: r.ID, Definition: r.Definition, Version: r.Version, Status: r.Status,
		BusinessKey: r.BusinessKey, Summary: r.Summary, StartedBy: r.StartedBy,
		StartedAt: r.StartedAt, CompletedAt: r.CompletedAt,
	}
}

func taskRow(t workflows.Task) (postgres.Task, error) {
	form, err := json.Marshal(t.Form)
	if err != nil {
		return postgres.Task{}, fmt.Errorf("encode form of task %s: %w", t.ID, err)
	}
	var data []byte
	if t.Data != nil {
		if data, err = json.Marshal(t.Data); err != nil {
			return postgres.Task{}, fmt.Errorf("encode data of task %s: %w", t.ID, err)
		}
	}
	return postgres.Task{
		ID: t.ID, RunID: t.RunID, StepID: t.StepID, Definition: t.Definition,
		Title: t.Title, Description: t.Description, Kind: t.Kind, Status: t.Status,
		Assignees: t.Assignees, CandidateGroups: t.CandidateGroups, ClaimedBy: t.ClaimedBy,
		DueAt: t.DueAt, Form: form, Outcome: t.Outcome, Data: data,
		CompletedBy: t.CompletedBy, CreatedAt: t.CreatedAt, CompletedAt: t.CompletedAt,
	}, nil
}
