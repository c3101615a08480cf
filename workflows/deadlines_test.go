package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDueDateSkipsWeekendAndHolidayInTimeZone(t *testing.T) {
	src := `key: due
name: Due
time_zone: America/New_York
holidays: [2027-07-05]
roles:
  ops: {user: olive}
steps:
  - id: file
    title: File the report
    assignee: ops
    due: 2 business days
`
	h, in := newHarness(t, src)
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	// Friday 2 July 2027, 10:00 in New York; Monday the 5th is a holiday.
	h.env.SetStartTime(time.Date(2027, 7, 2, 10, 0, 0, 0, ny))
	var open RunState
	h.at(time.Minute, func() { open = h.state(); h.env.CancelWorkflow() })
	_, _ = h.run(in)
	require.Len(t, open.OpenTasks, 1)
	due := open.OpenTasks[0].DueAt
	require.NotNil(t, due)
	// Tuesday the 6th is day one, Wednesday the 7th day two: 10:00 EDT = 14:00 UTC.
	require.Equal(t, time.Date(2027, 7, 7, 14, 0, 0, 0, time.UTC), due.UTC())
}

const remindersDef = `key: reminders
name: Reminders
roles:
  ops: {user: olive}
  lead: {user: lena}
steps:
  - id: file
    title: File the report
    assignee: ops
    due: 1 day
    reminders:
      - {before: 4 hours}
      - {after: 1 hour, every: 2 hours, times: 3, notify: [lead]}
`

func TestReminderCadenceAndOverdue(t *testing.T) {
	h, in := newHarness(t, remindersDef)
	start := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	h.env.SetStartTime(start)
	var beforeDue, afterDue RunState
	h.at(23*time.Hour, func() { beforeDue = h.state() })
	h.at(25*time.Hour, func() { afterDue = h.state() })
	h.at(30*time.Hour, func() { h.admin("file", "", nil) })
	st, err := h.run(in)
	require.NoError(t, err)
	require.Equal(t, StatusCompleted, st.Status)

	var reminders []time.Time
	var overdue []time.Time
	for _, e := range h.inbox.journal() {
		switch e.Kind {
		case JournalReminder:
			reminders = append(reminders, e.At)
		case JournalOverdue:
			overdue = append(overdue, e.At)
		}
	}
	due := start.Add(24 * time.Hour)
	require.Equal(t, []time.Time{due.Add(-4 * time.Hour), due.Add(time.Hour), due.Add(3 * time.Hour), due.Add(5 * time.Hour)}, utc(reminders))
	require.Equal(t, []time.Time{due}, utc(overdue), "overdue is flagged once, at the due time")
	require.False(t, beforeDue.OpenTasks[0].Overdue)
	require.True(t, afterDue.OpenTasks[0].Overdue)

	notes := h.inbox.notifications()
	require.Equal(t, []string{
		"task.reminder:" + taskID("file") + ":olive",
		"task.overdue:" + taskID("file") + ":olive",
		"task.reminder:" + taskID("file") + ":lena",
		"task.reminder:" + taskID("file") + ":lena",
		"task.reminder:" + taskID("file") + ":lena",
	}, notes)
}

func TestEscalationLadder(t *testing.T) {
	src := `key: ladder
name: Ladder
roles:
  ops: {user: olive}
  boss: {user: bea}
  backup: {user: bo}
  lead: {group: leads}
steps:
  - id: file
    title: File
    assignee: ops
    due: 1 hour
    escalations:
      - {after: 1 hour, notify: [boss]}
      - {after: 2 hours, add: [backup]}
      - {after: 3 hours, reassign: [lead]}
      - {after: 4 hours, outcome: completed}
`
	h, in := newHarness(t, src)
	var added, reassigned RunState
	h.at(3*time.Hour+time.Minute, func() { added = h.state() })
	h.at(4*time.Hour+time.Minute, func() { reassigned = h.state() })
	st, err := h.run(in)
	require.NoError(t, err)

	require.Equal(t, []string{"olive", "bo"}, added.OpenTasks[0].Assignees)
	require.Empty(t, reassigned.OpenTasks[0].Assignees)
	require.Equal(t, []string{"leads"}, reassigned.OpenTasks[0].CandidateGroups)
	file := step(st, "file")
	require.Equal(t, "completed", file.Outcome)
	require.Equal(t, ActorSystem, file.CompletedBy, "the last rung takes the default outcome")
	require.Equal(t, 5*time.Hour, file.CompletedAt.Sub(st.StartedAt))

	require.Contains(t, h.inbox.notifications(), "task.escalated:"+taskID("file")+":bea")
	var actions []any
	for _, e := range h.inbox.journal() {
		if e.Kind == JournalEscalation {
			actions = append(actions, e.Detail["action"])
		}
	}
	require.Equal(t, []any{"notify", "add", "reassign", "outcome"}, actions)
}

func TestTimersStopWhenTaskCompletes(t *testing.T) {
	h, in := newHarness(t, remindersDef)
	h.at(time.Hour, func() { h.admin("file", "", nil) })
	st, err := h.run(in)
	require.NoError(t, err)
	require.Equal(t, StatusCompleted, st.Status)
	require.Empty(t, h.inbox.notifications(), "no reminder fires for a completed task")
	require.Equal(t, time.Hour, st.CompletedAt.Sub(st.StartedAt), "the run does not wait for the cancelled timers")
}

func utc(ts []time.Time) []time.Time {
	out := make([]time.Time, len(ts))
	for i, t := range ts {
		out[i] = t.UTC()
	}
	return out
}
