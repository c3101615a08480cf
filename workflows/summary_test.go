package workflows

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestInboxSummary: each inbox write says in Temporal Web what it does; a deadline's
// write (overdue, reminder, escalation) is not labelled as the run's start.
func TestInboxSummary(t *testing.T) {
	task := Task{Title: "File the report"}
	for _, tt := range []struct {
		sync InboxSync
		want string
	}{
		{InboxSync{Run: &RunRecord{Status: StatusRunning}}, "Record run started"},
		{InboxSync{Run: &RunRecord{Status: StatusCompleted}}, "Record run completed"},
		{InboxSync{Open: []TaskOpening{{Task: task}}}, "Assign task: File the report"},
		{InboxSync{Close: []Task{task}}, "Record 1 closed task(s)"},
		{InboxSync{Notify: []Notification{{Event: EventTaskOverdue, Title: task.Title}}}, "Mark overdue: File the report"},
		{InboxSync{Notify: []Notification{{Event: EventTaskReminder, Title: task.Title}}}, "Remind about: File the report"},
		{InboxSync{Notify: []Notification{{Event: EventTaskEscalated, Title: task.Title}}}, "Escalate: File the report"},
		{InboxSync{Journal: []JournalEntry{{Kind: JournalDecision}}}, "Record the run's decisions"},
	} {
		require.Equal(t, tt.want, inboxSummary(tt.sync))
	}
}
