package activities

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/workflows"
)

func TestOutboundEvents(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	end := start.Add(time.Hour)
	run := func(status string) *workflows.RunRecord {
		r := &workflows.RunRecord{ID: "r1", Status: status, StartedAt: start}
		if status != workflows.StatusRunning {
			r.CompletedAt = &end
		}
		return r
	}
	tests := []struct {
		name      string
		sync      workflows.InboxSync
		wantType  string
		wantKey   string
		wantEmail string // the email's dedupe key prefix, if one
	}{
		{"started", workflows.InboxSync{Run: run(workflows.StatusRunning)}, "run.started", "run.started/r1/1772442000000000000", ""},
		{"completed", workflows.InboxSync{Run: run(workflows.StatusCompleted)}, "run.completed", "run.completed/r1/1772442000000000000", ""},
		{"cancelled", workflows.InboxSync{Run: run(workflows.StatusCancelled)}, "run.cancelled", "run.cancelled/r1/1772442000000000000", ""},
		{"failed", workflows.InboxSync{Run: run(workflows.StatusFailed)}, "step.failed", "step.failed/r1/1772442000000000000", ""},
		{"overdue once per task", workflows.InboxSync{Notify: []workflows.Notification{{Event: workflows.EventTaskOverdue, TaskID: "r1.a", Users: []string{"alice"}}}},
			"task.overdue", "task.overdue/r1.a", "email/task.overdue/r1.a"},
		{"reminders per activity execution", workflows.InboxSync{Notify: []workflows.Notification{{Event: workflows.EventTaskReminder, TaskID: "r1.a", Users: []string{"alice"}}}},
			"", "", "email/task.reminder/r1.a/direct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emails, events := outbound(context.Background(), tt.sync, nil)
			if tt.wantType == "" {
				require.Empty(t, events)
			} else {
				require.Len(t, events, 1)
				require.Equal(t, tt.wantType, events[0].Type)
				require.Equal(t, tt.wantKey, events[0].Key)
			}
			if tt.wantEmail == "" {
				require.Empty(t, emails)
				return
			}
			require.Len(t, emails, 1)
			require.Equal(t, tt.wantEmail, emails[0].Key)
		})
	}
}
