package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/handoffhq/handoff/outbox"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// outbound derives what an inbox write tells people (emails) and subscribers (events).
// opened are the tasks opened, with their assignees resolved. Events come in the order
// they happened, which numbers them for subscribers: the run's start, closed tasks,
// opened (or reassigned) tasks, notices, and the run's end. Every delivery carries a
// dedupe key that a retried activity derives again unchanged, so nothing is queued twice:
//
//   - run and task events are keyed by what happened, once per run or task (a run id
//     can be reused after its run ended, so keys carry the start or creation time);
//   - task.assigned is keyed by the assignment: by the write that made it (its number,
//     from interpreter version 3; before, a digest of the assignees and the number of
//     changes to the task so far), so a claim, a release or a reassignment is new, and
//     its email by task and user, so each person is told about a task once;
//   - reminders and escalations can repeat, so they are keyed by the activity execution
//     (workflow run id and activity id, stable across the activity's retries).
func outbound(ctx context.Context, s workflows.InboxSync, opened []workflows.Task) ([]postgres.TaskEmail, []postgres.OutboundEvent) {
	var (
		emails []postgres.TaskEmail
		events []postgres.OutboundEvent
	)
	runID := syncRunID(ctx, s, opened)
	// A run's start is told once, whatever its first write says (even that it failed):
	// ordered writes say which is the first; older ones carry the run row on the first
	// and the last write, and the dedupe key keeps the second from counting.
	if s.Run != nil && (s.Started || s.Seq == 0) {
		events = append(events, runEvent(*s.Run, workflows.StatusRunning))
	}
	for _, t := range s.Close {
		if t.Status == workflows.TaskCompleted {
			at := t.CreatedAt
			if t.CompletedAt != nil {
				at = *t.CompletedAt
			}
			events = append(events, postgres.OutboundEvent{Type: outbox.EventTaskCompleted,
				Key: "task.completed/" + taskKey(t), RunID: t.RunID, TaskID: t.ID, At: at})
		}
	}
	for _, t := range opened {
		to := assignment(t)
		emails = append(emails, postgres.TaskEmail{Key: "email/task.assigned/" + taskKey(t),
			Event: workflows.EventTaskAssigned, TaskID: t.ID, Users: to.Users, Groups: to.Groups})
		which := to.digest() + changes(t)
		if s.Seq != 0 {
			which = strconv.FormatInt(s.Seq, 10)
		}
		events = append(events, postgres.OutboundEvent{Type: outbox.EventTaskAssigned,
			Key: "task.assigned/" + taskKey(t) + "/" + which, RunID: t.RunID, TaskID: t.ID, At: assignedAt(t)})
	}
	for _, n := range s.Notify {
		key := "email/" + n.Event + "/" + n.TaskID + "/" + execution(ctx)
		if n.Event == workflows.EventTaskOverdue {
			key = "email/" + n.Event + "/" + n.TaskID // a task is overdue once
			events = append(events, postgres.OutboundEvent{Type: outbox.EventTaskOverdue,
				Key: "task.overdue/" + n.TaskID, RunID: runID, TaskID: n.TaskID, At: time.Now().UTC()})
		}
		emails = append(emails, postgres.TaskEmail{Key: key, Event: n.Event, TaskID: n.TaskID,
			Users: n.Users, Groups: n.Groups, ManagerOf: n.ManagerOf})
	}
	if s.Run != nil && s.Run.Status != workflows.StatusRunning {
		events = append(events, runEvent(*s.Run, s.Run.Status))
	}
	return emails, events
}

// runEvent is the event of a run reaching status: started (running), or how it ended.
func runEvent(r workflows.RunRecord, status string) postgres.OutboundEvent {
	typ, at := outbox.EventRunStarted, r.StartedAt
	switch status {
	case workflows.StatusCompleted:
		typ = outbox.EventRunCompleted
	case workflows.StatusCancelled:
		typ = outbox.EventRunCancelled
	case workflows.StatusFailed:
		typ = outbox.EventStepFailed
	}
	if status != workflows.StatusRunning && r.CompletedAt != nil {
		at = *r.CompletedAt
	}
	e := postgres.OutboundEvent{Type: typ, Key: fmt.Sprintf("%s/%s/%d", typ, r.ID, r.StartedAt.UnixNano()),
		RunID: r.ID, At: at}
	if typ == outbox.EventStepFailed {
		e.StepID, e.Error = r.FailedStep, r.Error
	}
	return e
}

// recipients are whom an assignment tells: the claimant of a claimed task, else its
// assignees and the members of its candidate groups.
type recipients struct{ Users, Groups []string }

func assignment(t workflows.Task) recipients {
	if t.ClaimedBy != "" {
		return recipients{Users: []string{t.ClaimedBy}}
	}
	return recipients{Users: t.Assignees, Groups: t.CandidateGroups}
}

// digest names an assignment in a dedupe key.
func (r recipients) digest() string {
	sum := sha256.Sum256([]byte(strings.Join(r.Users, ",") + "|" + strings.Join(r.Groups, ",")))
	return hex.EncodeToString(sum[:8])
}

// changes names how far a task's history has got, in a dedupe key ("" for a new task).
func changes(t workflows.Task) string {
	if len(t.History) == 0 {
		return ""
	}
	return fmt.Sprintf("/%d", len(t.History))
}

// taskKey names a task in a dedupe key: its id and creation time.
func taskKey(t workflows.Task) string { return fmt.Sprintf("%s/%d", t.ID, t.CreatedAt.UnixNano()) }

// assignedAt is when the task got its current assignment: its last ownership change,
// or its creation.
func assignedAt(t workflows.Task) time.Time {
	if n := len(t.History); n > 0 {
		return t.History[n-1].At
	}
	return t.CreatedAt
}

// execution names this activity execution, the same on every retry of it.
func execution(ctx context.Context) string {
	if !activity.IsActivity(ctx) {
		return "direct"
	}
	info := activity.GetInfo(ctx)
	return info.WorkflowExecution.RunID + "/" + info.ActivityID
}

// syncRunID is the run the write belongs to: the workflow's id.
func syncRunID(ctx context.Context, s workflows.InboxSync, opened []workflows.Task) string {
	switch {
	case activity.IsActivity(ctx):
		return activity.GetInfo(ctx).WorkflowExecution.ID
	case s.Run != nil:
		return s.Run.ID
	case len(opened) > 0:
		return opened[0].RunID
	case len(s.Close) > 0:
		return s.Close[0].RunID
	}
	return ""
}
