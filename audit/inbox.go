package audit

import (
	"time"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/workflows"
)

// inboxWrite turns one SyncInbox input into entries: closed tasks (and approval
// votes), the journal, and newly opened tasks. The entries are dropped if the
// activity fails, since the interpreter then sends them again.
func (b *builder) inboxWrite(seq int, id int64, at time.Time, s workflows.InboxSync) {
	var entries []*entry
	for _, t := range s.Close {
		entries = append(entries, b.closed(seq, t, at)...)
	}
	for _, j := range s.Journal {
		entries = append(entries, b.journal(seq, j))
	}
	for _, o := range s.Open {
		if _, known := b.tasks[o.Task.ID]; known {
			continue // a new assignment of an open task: journaled as ownership or escalation
		}
		b.tasks[o.Task.ID] = taskInfo{step: o.Task.StepID, kind: o.Task.Kind}
		e := b.emit(fromCommand, seq, rankOpen, orTime(o.Task.CreatedAt, at), ActorSystem, KindTaskAssigned, o.Task.StepID, o.Task.ID,
			assignment(o))
		b.exec.opens[id] = append(b.exec.opens[id], e)
		entries = append(entries, e)
	}
	b.exec.syncs[id] = entries
}

// assignment is the detail of a task.assigned event.
func assignment(o workflows.TaskOpening) map[string]any {
	t := o.Task
	d := map[string]any{"title": t.Title, "kind": t.Kind, "assignees": nonNil(t.Assignees),
		"candidate_groups": nonNil(t.CandidateGroups)}
	if len(o.ManagerOf) > 0 {
		d["manager_of"] = o.ManagerOf
	}
	if t.DueAt != nil {
		d["due_at"] = t.DueAt.UTC()
	}
	return d
}

// resolved fills in the assignees the SyncInbox activity resolved (managers added).
func (b *builder) resolved(id int64, res workflows.InboxResult) {
	for i, e := range b.exec.opens[id] {
		if i < len(res.Assignees) {
			e.Detail["assignees"] = nonNil(res.Assignees[i])
		}
	}
}

// closed records a task's end: its votes when it is an approval, then its completion
// or cancellation.
func (b *builder) closed(seq int, t workflows.Task, fallback time.Time) []*entry {
	b.tasks[t.ID] = taskInfo{step: t.StepID, kind: t.Kind}
	at := fallback
	if t.CompletedAt != nil {
		at = *t.CompletedAt
	}
	if t.Status == workflows.TaskCancelled {
		return []*entry{b.emit(fromJournal, seq, rankClose, at, ActorSystem, KindTaskCancelled, t.StepID, t.ID, nil)}
	}
	var out []*entry
	for _, v := range t.Votes {
		kind := KindRejected
		if v.Outcome == definitions.OutcomeApproved {
			kind = KindApproved
		}
		out = append(out, b.emit(fromJournal, seq, rankClose, v.At, v.By, kind, t.StepID, t.ID,
			map[string]any{"comment": v.Comment, "data": orEmpty(v.Data)}))
	}
	detail := map[string]any{"outcome": t.Outcome, "data": orEmpty(t.Data), "comment": t.Comment}
	if identity, ok := b.exec.signalled[t.ID]; ok {
		detail["via"], detail["signal_identity"] = "signal", identity
	}
	actor := t.CompletedBy
	if actor == "" {
		actor = ActorSystem
	}
	return append(out, b.emit(fromJournal, seq, rankClose, at, actor, KindTaskCompleted, t.StepID, t.ID, detail))
}

// journalKinds maps the interpreter's journal kinds to audit kinds where they differ.
var journalKinds = map[string]string{
	workflows.JournalSentBack: KindStepSentBack,
}

// ownershipKinds maps an ownership change to its audit kind.
var ownershipKinds = map[string]string{
	workflows.OwnershipClaim:    KindTaskClaimed,
	workflows.OwnershipRelease:  KindTaskReleased,
	workflows.OwnershipReassign: KindTaskReassigned,
	workflows.OwnershipDelegate: KindTaskDelegated,
}

// journal records one thing the run decided or did by itself.
func (b *builder) journal(seq int, j workflows.JournalEntry) *entry {
	kind := j.Kind
	detail := orEmpty(j.Detail)
	if k, ok := journalKinds[kind]; ok {
		kind = k
	}
	if kind == workflows.JournalOwnership {
		change, _ := detail["change"].(string)
		if k, ok := ownershipKinds[change]; ok {
			kind = k
			delete(detail, "change")
		}
	}
	r := rankJournal
	if kind == KindEscalation {
		r = rankFirst // an escalation that decides the task precedes its close
	}
	step := j.Step
	if step == "" {
		step = b.stepOf(j.Task)
	}
	actor := j.Actor
	if actor == "" {
		actor = ActorSystem
	}
	return b.emit(fromJournal, seq, r, j.At, actor, kind, step, j.Task, detail)
}

func orTime(t, fallback time.Time) time.Time {
	if t.IsZero() {
		return fallback
	}
	return t
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
