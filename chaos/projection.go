package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/handoffhq/handoff/workflows"
)

// escalationAfter is how long after the due date the escalation of chaos-flow's review
// and chaos-due's answer fires (defs/*.yaml).
const escalationAfter = 2 * time.Second

// taskRow is the part of a projected task the oracle compares.
type taskRow struct{ status, outcome, completedBy, data string }

// dataOf writes task data the same way whether it comes from a history (a map) or
// from Postgres (jsonb text): "" when empty.
func dataOf(v any) string {
	if raw, ok := v.([]byte); ok {
		if len(raw) == 0 {
			return ""
		}
		var m map[string]any
		if json.Unmarshal(raw, &m) != nil {
			return string(raw)
		}
		v = m
	}
	if m, ok := v.(map[string]any); !ok || len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// projection rebuilds the run's rows from its history — every SyncInbox input that
// completed, applied in order (closed tasks, then opened ones) — and compares them with
// what Postgres holds.
func (s *suite) projection(ctx context.Context, h runHistory) ([]string, error) {
	var out []string
	if h.syncsPending > 0 {
		out = append(out, fmt.Sprintf("%d inbox writes never completed", h.syncsPending))
	}
	want := map[string]taskRow{}
	runStatus := ""
	for _, sy := range h.syncs {
		if sy.Run != nil {
			runStatus = sy.Run.Status
		}
		for _, t := range sy.Close {
			want[t.ID] = taskRow{t.Status, t.Outcome, t.CompletedBy, dataOf(t.Data)}
		}
		for _, o := range sy.Open {
			want[o.Task.ID] = taskRow{status: workflows.TaskOpen}
		}
	}
	got := map[string]taskRow{}
	rows, err := s.stack.db.Query(ctx, `SELECT id, status, outcome, completed_by, data FROM tasks WHERE run_id = $1`, h.id)
	if err != nil {
		return out, fmt.Errorf("read the tasks of run %s: %w", h.id, err)
	}
	for rows.Next() {
		var id string
		var r taskRow
		var data []byte
		if err := rows.Scan(&id, &r.status, &r.outcome, &r.completedBy, &data); err != nil {
			rows.Close()
			return out, fmt.Errorf("read the tasks of run %s: %w", h.id, err)
		}
		r.data = dataOf(data)
		got[id] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("read the tasks of run %s: %w", h.id, err)
	}
	for id, w := range want {
		if g, ok := got[id]; !ok || g != w {
			out = append(out, fmt.Sprintf("task %s is %+v in Postgres, %+v in the history", id, g, w))
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			out = append(out, fmt.Sprintf("task %s is in Postgres but not in the history", id))
		}
	}
	var status string
	if err := s.stack.db.QueryRow(ctx, `SELECT status FROM runs WHERE id = $1`, h.id).Scan(&status); err != nil || status != runStatus {
		out = append(out, fmt.Sprintf("run row is %q (%v), the history says %q", status, err, runStatus))
	}
	return out, nil
}

// timerFindings checks the due-date timers of the run's tasks from the journal that rides
// along with the inbox writes: each task went overdue at most once and not before its
// due date, and escalated at most once and not before due + escalationAfter. When
// mustFire is set (the deadline passed while the run was waiting), each fired exactly once.
//
// A firing is one journal entry; the same entry (same kind, task and time) carried by two
// inbox writes is one firing written twice, counted in repeats (see docs/reliability.md,
// "What the suite found").
func timerFindings(h runHistory, mustFire bool) (out []string, repeats int) {
	due := map[string]time.Time{}
	overdue, escalated := map[string][]time.Time{}, map[string][]time.Time{}
	type firing struct {
		at         int64
		kind, task string
	}
	seen := map[firing]bool{}
	for _, sy := range h.syncs {
		for _, o := range sy.Open {
			if o.Task.DueAt != nil {
				due[o.Task.ID] = *o.Task.DueAt
			}
		}
		for _, j := range sy.Journal {
			key := firing{j.At.UnixNano(), j.Kind, j.Task}
			if seen[key] {
				repeats++
				continue
			}
			seen[key] = true
			switch j.Kind {
			case workflows.JournalOverdue:
				overdue[j.Task] = append(overdue[j.Task], j.At)
			case workflows.JournalEscalation:
				escalated[j.Task] = append(escalated[j.Task], j.At)
			}
		}
	}
	for task, d := range due {
		out = append(out, fired(task, "overdue", overdue[task], d, mustFire)...)
		out = append(out, fired(task, "escalation", escalated[task], d.Add(escalationAfter), mustFire)...)
	}
	return out, repeats
}

// fired checks the firings of one timer that was due at.
func fired(task, what string, at []time.Time, due time.Time, must bool) []string {
	var out []string
	if len(at) > 1 {
		out = append(out, fmt.Sprintf("task %s: %s fired %d times", task, what, len(at)))
	}
	if must && len(at) == 0 {
		out = append(out, fmt.Sprintf("task %s: %s never fired", task, what))
	}
	for _, t := range at {
		if t.Before(due) {
			out = append(out, fmt.Sprintf("task %s: %s fired %s early", task, what, due.Sub(t)))
		}
	}
	return out
}
