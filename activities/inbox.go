package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"

	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// SyncInbox writes a run's changes to the projection: the run row, tasks closed, tasks
// opened (resolving managers against the directory). Every write is idempotent, so a
// retried attempt converges on the same rows.
func (a *Activities) SyncInbox(ctx context.Context, s workflows.InboxSync) (workflows.InboxResult, error) {
	if s.Run != nil {
		if err := a.DB.UpsertRun(ctx, runRow(*s.Run)); err != nil {
			return workflows.InboxResult{}, fmt.Errorf("record run %s: %w", s.Run.ID, err)
		}
	}
	for _, t := range s.Close {
		row, err := taskRow(t)
		if err != nil {
			return workflows.InboxResult{}, err
		}
		if err := a.DB.CloseTask(ctx, row); err != nil {
			return workflows.InboxResult{}, fmt.Errorf("close task %s: %w", t.ID, err)
		}
	}
	res := workflows.InboxResult{Assignees: make([][]string, 0, len(s.Open))}
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
		if err := a.DB.OpenTask(ctx, row); err != nil {
			return workflows.InboxResult{}, fmt.Errorf("open task %s: %w", o.Task.ID, err)
		}
		res.Assignees = append(res.Assignees, assignees)
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
		if u.Manager == "" {
			return nil, temporal.NewNonRetryableApplicationError("user "+id+" has no manager", "NoManager", nil)
		}
		if !slices.Contains(assignees, u.Manager) {
			assignees = append(assignees, u.Manager)
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
