package activities

import (
	"context"
	"crypto/rand"
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
//
// An ordered write (interpreter version 3: s.Seq is set) also carries the run's other
// open tasks and is written as the run's whole state; each attempt makes a random write
// id, returned in the result so that the run's history names the write that counted
// (workflows/projection.go).
func (a *Activities) SyncInbox(ctx context.Context, s workflows.InboxSync) (syncAnswer, error) {
	var w postgres.InboxWrite
	if s.Run != nil {
		run := runRow(*s.Run)
		w.Run = &run
	}
	var err error
	if w.Close, err = taskRows(s.Close); err != nil {
		return syncAnswer{}, err
	}
	if w.Held, err = taskRows(s.Held); err != nil {
		return syncAnswer{}, err
	}
	res := workflows.InboxResult{Assignees: make([][]string, 0, len(s.Open))}
	opened := make([]workflows.Task, 0, len(s.Open))
	for _, o := range s.Open {
		assignees, err := a.resolveManagers(ctx, o)
		if err != nil {
			return syncAnswer{}, err
		}
		o.Task.Assignees = assignees
		row, err := taskRow(o.Task)
		if err != nil {
			return syncAnswer{}, err
		}
		w.Open = append(w.Open, row)
		opened = append(opened, o.Task)
		res.Assignees = append(res.Assignees, assignees)
	}
	if s.Seq != 0 {
		res.WriteID = rand.Text()
		w.Sync = &postgres.SyncPoint{Seq: s.Seq, Fence: s.Fence, Write: res.WriteID}
		if s.FenceAt != nil {
			w.Sync.FenceAt = *s.FenceAt
		}
	}
	w.Emails, w.Events = outbound(ctx, s, opened)
	err = a.DB.WriteInbox(ctx, w)
	if errors.Is(err, postgres.ErrSuperseded) && a.Logger != nil {
		// A write from a workflow task Temporal discarded, arriving after a true write:
		// its result never reaches the history either.
		a.Logger.InfoContext(ctx, "inbox write dropped: the projection holds a later write of the run", "seq", s.Seq)
	} else if err != nil {
		return syncAnswer{}, fmt.Errorf("sync inbox: %w", err)
	}
	a.logInbox(ctx, s, res.WriteID, opened)
	out := syncAnswer{InboxResult: res}
	if activity.IsActivity(ctx) && activity.GetInfo(ctx).IsLocalActivity {
		out.Written = echo(s) // echo.go
	}
	return out, nil
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

func taskRows(ts []workflows.Task) ([]postgres.Task, error) {
	var out []postgres.Task
	for _, t := range ts {
		row, err := taskRow(t)
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, nil
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
		DueAt: t.DueAt, Form: form, Outcome: t.Outcome, Data: data, Comment: t.Comment,
		CompletedBy: t.CompletedBy, CreatedAt: t.CreatedAt, CompletedAt: t.CompletedAt,
	}, nil
}
