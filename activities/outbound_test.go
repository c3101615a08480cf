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
		if status == workflows.StatusFailed {
			r.FailedStep, r.Error = "file", "the endpoint answered 500"
		}
		return r
	}
	task := workflows.Task{ID: "r1.a", RunID: "r1", Status: workflows.TaskOpen, Assignees: []string{"alice"}, CreatedAt: start}
	done := task
	done.Status, done.CompletedAt = workflows.TaskCompleted, &end
	const started = "run.started/r1/1772442000000000000"
	tests := []struct {
		name      string
		sync      workflows.InboxSync
		opened    []workflows.Task
		want      []string // type " " key, in order
		wantEmail string   // the email's dedupe key prefix, if one
	}{
		{"started", workflows.InboxSync{Run: run(workflows.StatusRunning)}, nil, []string{"run.started " + started}, ""},
		{"completed: the start counts once by its key, the end comes last",
			workflows.InboxSync{Run: run(workflows.StatusCompleted), Close: []workflows.Task{done}}, nil,
			[]string{"run.started " + started, "task.completed task.completed/r1.a/1772442000000000000",
				"run.completed run.completed/r1/1772442000000000000"}, ""},
		{"cancelled", workflows.InboxSync{Run: run(workflows.StatusCancelled)}, nil,
			[]string{"run.started " + started, "run.cancelled run.cancelled/r1/1772442000000000000"}, ""},
		{"a run that fails before a task still started",
			workflows.InboxSync{Run: run(workflows.StatusFailed), Seq: 7, Started: true}, nil,
			[]string{"run.started " + started, "step.failed step.failed/r1/1772442000000000000"}, ""},
		{"an ordered write after the first tells no start",
			workflows.InboxSync{Run: run(workflows.StatusRunning), Seq: 8}, nil, nil, ""},
		{"each ordered assignment is new, A→B→A too",
			workflows.InboxSync{Run: run(workflows.StatusRunning), Seq: 9}, []workflows.Task{task},
			[]string{"task.assigned task.assigned/r1.a/1772442000000000000/9"}, "email/task.assigned/r1.a/"},
		{"overdue once per task", workflows.InboxSync{Notify: []workflows.Notification{{Event: workflows.EventTaskOverdue, TaskID: "r1.a", Users: []string{"alice"}}}},
			nil, []string{"task.overdue task.overdue/r1.a"}, "email/task.overdue/r1.a"},
		{"reminders per activity execution", workflows.InboxSync{Notify: []workflows.Notification{{Event: workflows.EventTaskReminder, TaskID: "r1.a", Users: []string{"alice"}}}},
			nil, nil, "email/task.reminder/r1.a/direct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emails, events := outbound(context.Background(), tt.sync, tt.opened)
			var got []string
			for _, e := range events {
				got = append(got, e.Type+" "+e.Key)
				if e.Type == "step.failed" {
					require.Equal(t, "file", e.StepID)
					require.Equal(t, "the endpoint answered 500", e.Error)
				}
			}
			require.Equal(t, tt.want, got)
			if tt.wantEmail == "" {
				require.Empty(t, emails)
				return
			}
			require.Len(t, emails, 1)
			require.Contains(t, emails[0].Key, tt.wantEmail)
		})
	}
}
