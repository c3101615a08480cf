package audit

import (
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"

	"github.com/handoffhq/handoff/workflows"
)

// updateAccepted records an external event delivered to the run. Completions and
// ownership changes are recorded from the inbox writes, which say what they did.
func (b *builder) updateAccepted(seq int, ev *historypb.HistoryEvent) error {
	req := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest()
	if req.GetInput().GetName() != workflows.UpdateEvent {
		return nil
	}
	var in workflows.EventRequest
	if err := b.decode(req.GetInput().GetArgs(), &in); err != nil {
		return err
	}
	actor := in.Actor
	if actor == "" {
		actor = req.GetMeta().GetIdentity()
	}
	e := b.emit(fromEvent, seq, rankFirst, b.commandTime(ev), actor, KindEventReceived, "", "",
		map[string]any{"name": in.Name, "id": in.ID, "data": orEmpty(in.Data)})
	b.exec.updates[req.GetMeta().GetUpdateId()] = e
	return nil
}

// updateCompleted drops an event delivery that failed or changed nothing (a duplicate).
func (b *builder) updateCompleted(ev *historypb.HistoryEvent) error {
	a := ev.GetWorkflowExecutionUpdateCompletedEventAttributes()
	e, ok := b.exec.updates[a.GetMeta().GetUpdateId()]
	if !ok {
		return nil
	}
	if a.GetOutcome().GetFailure() != nil {
		e.dropped = true
		return nil
	}
	var res workflows.EventResult
	if err := b.decode(a.GetOutcome().GetSuccess(), &res); err != nil {
		return err
	}
	e.dropped = res.Duplicate
	return nil
}

// signalled remembers who sent a completion as a signal; the completion itself (or
// its rejection) is recorded from the inbox write.
func (b *builder) signalled(ev *historypb.HistoryEvent) error {
	a := ev.GetWorkflowExecutionSignaledEventAttributes()
	if a.GetSignalName() != workflows.SignalComplete {
		return nil
	}
	var req workflows.CompleteRequest
	if err := b.decode(a.GetInput(), &req); err != nil {
		return err
	}
	b.exec.signalled[req.TaskID] = a.GetIdentity()
	return nil
}

// timer records timers started and fired (due dates, reminders, waits) with their summary.
func (b *builder) timer(seq int, ev *historypb.HistoryEvent) error {
	if a := ev.GetTimerStartedEventAttributes(); a != nil {
		summary, err := b.summary(ev)
		if err != nil {
			return err
		}
		b.exec.timers[a.GetTimerId()] = summary
		at := b.commandTime(ev)
		b.emit(fromCommand, seq, rankFirst, at, ActorSystem, KindTimerStarted, "", "", map[string]any{
			"summary": summary, "fires_at": at.Add(a.GetStartToFireTimeout().AsDuration()).UTC()})
		return nil
	}
	a := ev.GetTimerFiredEventAttributes()
	b.emit(fromEvent, seq, rankFirst, ev.GetEventTime().AsTime(), ActorSystem, KindTimerFired, "", "",
		map[string]any{"summary": b.exec.timers[a.GetTimerId()]})
	return nil
}

// child records a subprocess: its start (which definition, with what) and its end.
func (b *builder) child(seq int, ev *historypb.HistoryEvent) error {
	at := ev.GetEventTime().AsTime()
	if a := ev.GetStartChildWorkflowExecutionInitiatedEventAttributes(); a != nil {
		var in workflows.RunInput
		if err := b.decode(a.GetInput(), &in); err != nil {
			return err
		}
		step := b.childStep(a.GetWorkflowId())
		b.exec.children[ev.GetEventId()] = step
		detail := map[string]any{"run_id": a.GetWorkflowId(), "version": in.Version, "inputs": orEmpty(in.Inputs)}
		if in.Program != nil {
			detail["definition"] = in.Program.Key
		}
		b.emit(fromCommand, seq, rankFirst, b.commandTime(ev), ActorSystem, KindSubprocessStarted, step, "", detail)
		return nil
	}
	var (
		initiated int64
		kind      = KindSubprocessFailed
		detail    = map[string]any{}
	)
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
		a := ev.GetStartChildWorkflowExecutionFailedEventAttributes()
		initiated, detail["error"] = a.GetInitiatedEventId(), "could not start: "+a.GetCause().String()
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
		a := ev.GetChildWorkflowExecutionCompletedEventAttributes()
		var res workflows.RunState
		if err := b.decode(a.GetResult(), &res); err != nil {
			return err
		}
		initiated, kind = a.GetInitiatedEventId(), KindSubprocessCompleted
		detail["outcome"], detail["outputs"], detail["run_id"] = res.Outcome, orEmpty(res.Outputs), res.ID
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
		a := ev.GetChildWorkflowExecutionFailedEventAttributes()
		initiated, detail["error"] = a.GetInitiatedEventId(), failureMessage(a.GetFailure())
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
		initiated, kind = ev.GetChildWorkflowExecutionCanceledEventAttributes().GetInitiatedEventId(), KindSubprocessCancelled
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
		initiated, detail["error"] = ev.GetChildWorkflowExecutionTimedOutEventAttributes().GetInitiatedEventId(), "timed out"
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
		initiated, detail["error"] = ev.GetChildWorkflowExecutionTerminatedEventAttributes().GetInitiatedEventId(), "terminated"
	}
	b.emit(fromEvent, seq, rankFirst, at, ActorSystem, kind, b.exec.children[initiated], "", detail)
	return nil
}

// childStep reads the step from a child run id "<run id>.<step>[.<round>]".
func (b *builder) childStep(childID string) string {
	if b.runID == "" || !strings.HasPrefix(childID, b.runID+".") {
		return ""
	}
	step, _, _ := strings.Cut(strings.TrimPrefix(childID, b.runID+"."), ".")
	return step
}

// runEvent records cancellation requests and the run's end.
func (b *builder) runEvent(seq int, ev *historypb.HistoryEvent) error {
	at := ev.GetEventTime().AsTime()
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
		a := ev.GetWorkflowExecutionCancelRequestedEventAttributes()
		actor := a.GetIdentity()
		if actor == "" {
			actor = ActorSystem
		}
		detail := map[string]any{"reason": a.GetCause()}
		if p := a.GetExternalWorkflowExecution(); p != nil {
			actor, detail["by_run"] = ActorSystem, p.GetWorkflowId() // a parent run cancelling its subprocess
		}
		b.emit(fromEvent, seq, rankFirst, at, actor, KindRunCancelRequested, "", "", detail)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
		var res workflows.RunState
		if err := b.decode(ev.GetWorkflowExecutionCompletedEventAttributes().GetResult(), &res); err != nil {
			return err
		}
		b.emit(fromCommand, seq, rankFirst, b.commandTime(ev), ActorSystem, KindRunCompleted, "", "",
			map[string]any{"outcome": res.Outcome, "outputs": orEmpty(res.Outputs)})
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
		b.emit(fromCommand, seq, rankFirst, b.commandTime(ev), ActorSystem, KindRunFailed, "", "",
			map[string]any{"error": failureMessage(ev.GetWorkflowExecutionFailedEventAttributes().GetFailure())})
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
		b.emit(fromCommand, seq, rankFirst, b.commandTime(ev), ActorSystem, KindRunCancelled, "", "", nil)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
		a := ev.GetWorkflowExecutionTerminatedEventAttributes()
		actor := a.GetIdentity()
		if actor == "" {
			actor = ActorSystem
		}
		b.emit(fromEvent, seq, rankFirst, at, actor, KindRunTerminated, "", "", map[string]any{"reason": a.GetReason()})
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
		b.emit(fromEvent, seq, rankFirst, at, ActorSystem, KindRunTimedOut, "", "", nil)
	}
	return nil
}
