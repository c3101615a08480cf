package activities

import (
	"time"

	"github.com/handoffhq/handoff/workflows"
)

// A local activity's input is not in the history, so SyncInbox echoes its write in its
// result (the LocalActivity marker) for the history's readers: the audit trail, the
// chaos oracle. The echo is what they read (issue 18: it was the largest part of a
// run's history beyond the least code), and each write says only what it changed:
//
//   - a task opened, as its projection row has it, without the run's own bookkeeping
//     (outcomes, votes needed, reminders, ownership history);
//   - a task closed, as it ended (the rest is in the write that opened it);
//   - the run row whole where version 2 sent it (the first write, the run's end), except
//     that an ordered write (interpreter version 3, which carries the row every time)
//     after the first says only how the run ended at its end (status, completion time,
//     error, failed step), and nothing before;
//   - not the other open tasks an ordered write carries (Held: the writes that opened
//     them are in the history), nor the notifications;
//   - the journal, and an ordered write's number and fence.
//
// It decodes as workflows.InboxResult. A reader that needs whole rows (rebuilding the
// projection from the history) lays each write over what the earlier ones said.

// syncAnswer is SyncInbox's result: workflows.InboxResult with the echo as echoSync.
type syncAnswer struct {
	workflows.InboxResult
	Written *echoSync `json:"written,omitempty"`
}

// echoSync is a workflows.InboxSync as echoed.
type echoSync struct {
	Run     any                      `json:"run,omitempty"` // *workflows.RunRecord or *endedRun
	Close   []closedTask             `json:"close,omitempty"`
	Open    []workflows.TaskOpening  `json:"open,omitempty"`
	Journal []workflows.JournalEntry `json:"journal,omitempty"`
	Seq     int64                    `json:"seq,omitempty"`
	Fence   int64                    `json:"fence,omitempty"`
	FenceAt *time.Time               `json:"fence_at,omitempty"`
	Started bool                     `json:"started,omitempty"`
}

// endedRun is a workflows.RunRecord as an ordered write at the run's end echoes it.
type endedRun struct {
	Status      string     `json:"status"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	Error       string     `json:"error,omitempty"`
	FailedStep  string     `json:"failed_step,omitempty"`
}

// closedTask is a workflows.Task as a write that closes it echoes it.
type closedTask struct {
	ID          string           `json:"id"`
	StepID      string           `json:"step_id"`
	Kind        string           `json:"kind"`
	Status      string           `json:"status"`
	Votes       []workflows.Vote `json:"votes,omitempty"`
	Outcome     string           `json:"outcome,omitempty"`
	Comment     string           `json:"comment,omitempty"`
	Data        map[string]any   `json:"data,omitempty"`
	CompletedBy string           `json:"completed_by,omitempty"`
	CompletedAt *time.Time       `json:"completed_at,omitempty"`
}

// echo is the echo of a write.
func echo(s workflows.InboxSync) *echoSync {
	out := &echoSync{Journal: s.Journal, Seq: s.Seq, Fence: s.Fence, FenceAt: s.FenceAt, Started: s.Started}
	if s.Run != nil {
		out.Run = s.Run
	}
	if r := s.Run; r != nil && s.Seq != 0 && !s.Started { // an ordered write after the first
		out.Run = nil
		if r.Status != workflows.StatusRunning {
			out.Run = &endedRun{Status: r.Status, CompletedAt: r.CompletedAt, Error: r.Error, FailedStep: r.FailedStep}
		}
	}
	for _, t := range s.Close {
		out.Close = append(out.Close, closedTask{ID: t.ID, StepID: t.StepID, Kind: t.Kind, Status: t.Status,
			Votes: t.Votes, Outcome: t.Outcome, Comment: t.Comment, Data: t.Data, CompletedBy: t.CompletedBy,
			CompletedAt: t.CompletedAt})
	}
	for _, o := range s.Open {
		t := o.Task
		t.Outcomes, t.Policy, t.RequiredVotes, t.Votes, t.History = nil, "", 0, nil, nil
		t.RemindersSent, t.Escalations, t.Overdue = 0, 0, false
		out.Open = append(out.Open, workflows.TaskOpening{Task: t, ManagerOf: o.ManagerOf})
	}
	return out
}
