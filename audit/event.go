// Package audit derives a run's audit trail from its Temporal history: who did what,
// when, to which step and task, with what data. It is pure: Build reads history events
// and decodes their payloads with the data converter it is given (the client's, so an
// encryption codec is honoured); it does no I/O.
//
// What the trail is made of, and from where in history:
//
//   - WorkflowExecutionStarted: run.started (the starter, the inputs, the definition).
//   - The interpreter's inbox writes: the LocalActivity marker of each successful
//     SyncInbox (interpreter version 2; its result echoes the write) or, for runs
//     started on version 1, the ActivityTaskScheduled of SyncInbox. Open tasks
//     become task.assigned (with the assignees the activity resolved), closed tasks
//     task.completed / task.cancelled and, for approvals, one approval.approved or
//     approval.rejected per vote; the journal riding along becomes decision,
//     step.skipped, branch.skipped, wait.ended, reminder, overdue, escalation,
//     task.claimed / task.released / task.reassigned / task.delegated, fixit.choice,
//     step.sent_back and signal.rejected. Writes whose activity failed are ignored:
//     the interpreter sends them again.
//   - ActivityTaskScheduled / Completed / Failed of HTTPCall and Notify:
//     integration.call, integration.result, integration.failed.
//   - WorkflowExecutionUpdateAccepted of "event": event.received (dropped when the
//     update failed or was a duplicate delivery).
//   - TimerStarted / TimerFired: timer.started, timer.fired, with the timer's summary.
//   - StartChildWorkflowExecutionInitiated and the child's end: subprocess.*.
//   - WorkflowExecutionCancelRequested: run.cancel_requested (who, why), and the run's
//     end: run.completed, run.failed, run.cancelled, run.terminated, run.timed_out.
//
// Events are ordered by time, then by their place in history. Everything the workflow
// does in one workflow task carries that task's start time (workflow.Now), so what
// the interpreter journaled and the commands it issued in the same task sort together.
package audit

import (
	"time"

	"github.com/handoffhq/handoff/workflows"
)

// Event is one entry of the audit trail.
type Event struct {
	At     time.Time      `json:"at"`
	Actor  string         `json:"actor"`
	Kind   string         `json:"kind"`
	Step   string         `json:"step"`
	Task   string         `json:"task"`
	Detail map[string]any `json:"detail"`
}

// Kinds of audit events.
const (
	KindRunStarted         = "run.started"
	KindRunCancelRequested = "run.cancel_requested"
	KindRunCompleted       = "run.completed"
	KindRunFailed          = "run.failed"
	KindRunCancelled       = "run.cancelled"
	KindRunTerminated      = "run.terminated"
	KindRunTimedOut        = "run.timed_out"

	KindTaskAssigned   = "task.assigned"
	KindTaskClaimed    = "task.claimed"
	KindTaskReleased   = "task.released"
	KindTaskReassigned = "task.reassigned"
	KindTaskDelegated  = "task.delegated"
	KindTaskCompleted  = "task.completed"
	KindTaskCancelled  = "task.cancelled"
	KindApproved       = "approval.approved"
	KindRejected       = "approval.rejected"

	KindDecision      = "decision"
	KindStepSkipped   = "step.skipped"
	KindBranchSkipped = workflows.JournalBranch // a parallel branch whose when was false
	KindWaitEnded     = workflows.JournalWaited // a wait step's end: elapsed, received or timeout
	KindStepSentBack  = "step.sent_back"
	KindReminder      = "reminder"
	KindOverdue       = "overdue"
	KindEscalation    = "escalation"
	KindFixItChoice   = "fixit.choice"

	KindIntegrationCall      = "integration.call"
	KindIntegrationResult    = "integration.result"
	KindIntegrationFailed    = "integration.failed"
	KindIntegrationCancelled = "integration.cancelled"

	KindEventReceived  = "event.received"
	KindSignalRejected = "signal.rejected"

	KindTimerStarted = "timer.started"
	KindTimerFired   = "timer.fired"

	KindSubprocessStarted   = "subprocess.started"
	KindSubprocessCompleted = "subprocess.completed"
	KindSubprocessFailed    = "subprocess.failed"
	KindSubprocessCancelled = "subprocess.cancelled"
)

// Kinds lists every kind an audit trail can hold, in documentation order.
var Kinds = []string{
	KindRunStarted, KindTaskAssigned, KindTaskClaimed, KindTaskReleased, KindTaskReassigned, KindTaskDelegated,
	KindTaskCompleted, KindApproved, KindRejected, KindTaskCancelled,
	KindDecision, KindStepSkipped, KindBranchSkipped, KindStepSentBack, KindWaitEnded,
	KindReminder, KindOverdue, KindEscalation, KindFixItChoice, KindSignalRejected,
	KindIntegrationCall, KindIntegrationResult, KindIntegrationFailed, KindIntegrationCancelled,
	KindEventReceived, KindTimerStarted, KindTimerFired,
	KindSubprocessStarted, KindSubprocessCompleted, KindSubprocessFailed, KindSubprocessCancelled,
	KindRunCancelRequested, KindRunCompleted, KindRunFailed, KindRunCancelled, KindRunTerminated, KindRunTimedOut,
}

// ActorSystem is the actor of what the run does by itself.
const ActorSystem = "system"
