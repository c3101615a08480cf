package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
)

// maxRepeats caps how many times one reminder repeats.
const maxRepeats = 50

// dueAt computes a task's deadline from the step's due rule.
func (r *run) dueAt(step *definitions.Step) (time.Time, error) {
	base := r.now()
	switch from := step.Due.From; from {
	case "", definitions.FromStepStart:
	case definitions.FromRunStart:
		base = r.state.StartedAt
	default:
		v, err := r.engine.Eval(r.prog, from, r.vars(nil))
		if err != nil {
			return time.Time{}, fmt.Errorf("evaluate due from %q: %w", from, err)
		}
		if base, err = asTime(v); err != nil {
			return time.Time{}, fmt.Errorf("due from %q: %w", from, err)
		}
	}
	due, err := r.prog.AddDuration(base, step.Due.Offset, step.Due.Before)
	if err != nil {
		return time.Time{}, fmt.Errorf("compute due date: %w", err)
	}
	return due.UTC(), nil
}

// asTime accepts what CEL yields for a date: a timestamp, or an RFC 3339 or date string.
func asTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v, nil
	case string:
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t, nil
		}
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t, nil
		}
		return time.Time{}, fmt.Errorf("%q is not a date or timestamp", v)
	}
	return time.Time{}, fmt.Errorf("got %T, want a timestamp", v)
}

// deadline is the next timed event of a task.
type deadline struct {
	at      time.Time
	kind    string // "overdue", "reminder", "escalation"
	summary string
	index   int // the reminder or escalation
}

// watchDeadlines keeps a task's due date, reminders and escalations. Every deadline is
// absolute and derived from the task's state (DueAt and what has fired), so the timers
// can be recreated at any time; they stop when the task closes.
func (r *run) watchDeadlines(ctx workflow.Context, taskID string, step *definitions.Step) {
	wctx, cancel := workflow.WithCancel(ctx)
	r.stopWatch[taskID] = cancel
	workflow.Go(wctx, func(ctx workflow.Context) {
		for {
			t := r.openTask(taskID)
			if t == nil {
				return
			}
			next, ok := r.nextDeadline(t, step)
			if !ok {
				return
			}
			if d := next.at.Sub(r.now()); d > 0 {
				timer := workflow.NewTimerWithOptions(ctx, d, workflow.TimerOptions{Summary: next.summary})
				if err := timer.Get(ctx, nil); err != nil {
					return // the task closed
				}
			}
			if t = r.openTask(taskID); t == nil {
				return
			}
			// What a deadline does must finish even if the task closes meanwhile (that
			// cancels ctx): a cancelled write would be sent again with its journal entry.
			wctx, _ := workflow.NewDisconnectedContext(ctx)
			r.fireDeadline(wctx, t, step, next)
		}
	})
}

// stopWatching cancels a closed task's timers.
func (r *run) stopWatching(taskID string) {
	if cancel, ok := r.stopWatch[taskID]; ok {
		cancel()
		delete(r.stopWatch, taskID)
	}
}

// nextDeadline finds the earliest timed event of the task that has not fired.
func (r *run) nextDeadline(t *Task, step *definitions.Step) (deadline, bool) {
	if t.DueAt == nil {
		return deadline{}, false
	}
	var cands []deadline
	if !t.Overdue {
		cands = append(cands, deadline{at: *t.DueAt, kind: "overdue", summary: "Due: " + t.Title})
	}
	if times := r.reminderTimes(*t.DueAt, step); t.RemindersSent < len(times) {
		next := times[t.RemindersSent]
		cands = append(cands, deadline{at: next.at, kind: "reminder", summary: "Remind about: " + t.Title, index: next.rem})
	}
	if e := t.Escalations; e < len(step.Escalations) {
		at, err := r.prog.AddDuration(*t.DueAt, step.Escalations[e].After, false)
		if err == nil {
			cands = append(cands, deadline{at: at.UTC(), kind: "escalation", index: e,
				summary: fmt.Sprintf("Escalate (%s): %s", step.Escalations[e].Action, t.Title)})
		}
	}
	if len(cands) == 0 {
		return deadline{}, false
	}
	slices.SortStableFunc(cands, func(a, b deadline) int { return a.at.Compare(b.at) })
	return cands[0], true
}

// reminderAt is one reminder firing: when, and which of the step's reminders.
type reminderAt struct {
	at  time.Time
	rem int
}

// reminderTimes lists every reminder firing of a step in time order.
func (r *run) reminderTimes(due time.Time, step *definitions.Step) []reminderAt {
	var out []reminderAt
	for i, rem := range step.Reminders {
		at, err := r.prog.AddDuration(due, rem.Offset, rem.Before)
		if err != nil {
			continue
		}
		out = append(out, reminderAt{at.UTC(), i})
		if rem.Every == nil {
			continue
		}
		times := min(max(rem.Times, 1), maxRepeats)
		for n := 1; n < times; n++ {
			if at, err = r.prog.AddDuration(at, *rem.Every, false); err != nil {
				break
			}
			out = append(out, reminderAt{at.UTC(), i})
		}
	}
	slices.SortStableFunc(out, func(a, b reminderAt) int { return a.at.Compare(b.at) })
	return out
}

// fireDeadline does what a deadline calls for.
func (r *run) fireDeadline(ctx workflow.Context, t *Task, step *definitions.Step, d deadline) {
	switch d.kind {
	case "overdue":
		t.Overdue = true
		r.taskEvent(t, "overdue", ActorSystem, "")
		r.note(JournalOverdue, t.StepID, t.ID, ActorSystem, map[string]any{"due_at": t.DueAt.Format(time.RFC3339)})
		r.notifyTask(ctx, t, EventTaskOverdue, nil)
		r.updateVisibility()
	case "reminder":
		t.RemindersSent++
		roles := step.Reminders[d.index].Notify
		r.taskEvent(t, "reminder", ActorSystem, "")
		r.note(JournalReminder, t.StepID, t.ID, ActorSystem, map[string]any{"reminder": float64(t.RemindersSent)})
		r.notifyTask(ctx, t, EventTaskReminder, roles)
	case "escalation":
		t.Escalations++
		r.escalate(ctx, t, step, step.Escalations[d.index])
	}
}

// escalate applies one rung of an escalation ladder.
func (r *run) escalate(ctx workflow.Context, t *Task, step *definitions.Step, e definitions.Escalation) {
	id := t.ID
	r.taskEvent(t, "escalation", ActorSystem, e.Action)
	detail := map[string]any{"action": e.Action}
	if len(e.Roles) > 0 {
		detail["roles"] = toAny(e.Roles)
	}
	if e.Outcome != "" {
		detail["outcome"] = e.Outcome
	}
	r.note(JournalEscalation, t.StepID, t.ID, ActorSystem, detail)
	switch e.Action {
	case definitions.EscalateNotify:
		r.notifyTask(ctx, t, EventTaskEscalated, e.Roles)
	case definitions.EscalateAdd, definitions.EscalateReassign:
		users, groups, managerOf := r.resolveRoles(e.Roles)
		if e.Action == definitions.EscalateReassign {
			t.Assignees, t.CandidateGroups, t.ClaimedBy = []string{}, []string{}, ""
		}
		t.Assignees = appendNew(t.Assignees, users...)
		t.CandidateGroups = appendNew(t.CandidateGroups, groups...)
		r.reassigned(ctx, id, managerOf)
		if t = r.openTask(id); t != nil {
			r.notifyTask(ctx, t, EventTaskEscalated, nil)
		}
	case definitions.EscalateOutcome:
		r.closeTask(id, TaskCompleted, e.Outcome, "escalated: no answer in time", ActorSystem, nil)
	}
}

// resolveRoles resolves several roles, skipping any that fail (logged).
func (r *run) resolveRoles(roles []string) (users, groups, managerOf []string) {
	for _, name := range roles {
		u, g, m, err := r.resolveRole(name)
		if err != nil {
			workflow.GetLogger(r.ctx).Warn("resolve role", "role", name, "error", err)
			continue
		}
		users, groups, managerOf = appendNew(users, u...), appendNew(groups, g...), append(managerOf, m...)
	}
	return users, groups, managerOf
}

func appendNew(s []string, vs ...string) []string {
	for _, v := range vs {
		if !slices.Contains(s, v) {
			s = append(s, v)
		}
	}
	return s
}

// notifyTask queues a notification about a task: to the people of roles, or to the
// task's assignees when roles is empty. A failure to queue it is logged; it never stops the run.
func (r *run) notifyTask(ctx workflow.Context, t *Task, event string, roles []string) {
	n := Notification{Event: event, TaskID: t.ID, Title: t.Title}
	if len(roles) > 0 {
		n.Users, n.Groups, n.ManagerOf = r.resolveRoles(roles)
	} else {
		n.Users, n.Groups = t.Assignees, t.CandidateGroups
	}
	if err := r.sync(ctx, InboxSync{Notify: []Notification{n}}); err != nil {
		workflow.GetLogger(r.ctx).Error("queue notification", "task", t.ID, "event", event, "error", err)
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
