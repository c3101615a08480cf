package audit

import (
	"fmt"
	"slices"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"

	"github.com/handoffhq/handoff/workflows"
)

// Build derives the audit trail from a run's history: the events of one workflow
// execution, or of a chain of executions joined by continue-as-new, in order.
// Payloads are decoded with dc. It fails only when a payload cannot be decoded.
func Build(history []*historypb.HistoryEvent, dc converter.DataConverter) ([]Event, error) {
	b := &builder{dc: dc, tasks: map[string]taskInfo{}}
	for i, ev := range history {
		if err := b.add(i, ev); err != nil {
			return nil, fmt.Errorf("audit event %d (%s): %w", ev.GetEventId(), ev.GetEventType(), err)
		}
	}
	return b.events(), nil
}

// source classifies entries that carry the same time. Within one workflow task,
// what came in (an update, a signal, a timer, an activity's result) happens first,
// then what the run decided (its journal, the tasks it closed), then the commands it
// issued (tasks opened, calls, timers, its end).
type source int

const (
	fromEvent source = iota
	fromJournal
	fromCommand
)

// rank orders entries of one history event that carry the same time: an escalation
// happens before the close it causes, a close before what the run decides next, and
// assignments come last.
type rank int

const (
	rankFirst rank = iota
	rankClose
	rankJournal
	rankOpen
)

// entry is an audit event with its sort keys.
type entry struct {
	Event
	source  source
	seq     int  // index of the history event it comes from
	rank    rank // order among entries of one history event
	dropped bool
}

// taskInfo is what the trail remembers of a task opened earlier.
type taskInfo struct{ step, kind string }

// builder walks a history once.
type builder struct {
	dc      converter.DataConverter
	entries []*entry
	// wftTime is the start of the current workflow task: workflow.Now for
	// everything the workflow does in it.
	wftTime time.Time
	// tasks are the tasks opened so far (across executions).
	tasks map[string]taskInfo
	// runID is the workflow id of the run.
	runID string
	// exec is per workflow execution: event ids restart with each one.
	exec execution
}

// execution holds what links events within one workflow execution.
type execution struct {
	started   bool
	syncs     map[int64][]*entry // SyncInbox scheduled (or marker) event id → its entries
	opens     map[int64][]*entry // SyncInbox scheduled (or marker) event id → task.assigned entries, in order
	calls     map[int64]call     // HTTPCall/Notify scheduled event id → the call
	attempts  map[int64]int32    // activity scheduled event id → attempt that ended it
	updates   map[string]*entry  // update id → event.received entry
	timers    map[string]string  // timer id → summary
	children  map[int64]string   // child initiated event id → step
	signalled map[string]string  // task id → identity of the last "complete" signal
}

type call struct {
	activity, step string
}

func newExecution() execution {
	return execution{
		started: true, syncs: map[int64][]*entry{}, opens: map[int64][]*entry{}, calls: map[int64]call{},
		attempts: map[int64]int32{}, updates: map[string]*entry{}, timers: map[string]string{},
		children: map[int64]string{}, signalled: map[string]string{},
	}
}

// emit appends an entry.
func (b *builder) emit(src source, seq int, r rank, at time.Time, actor, kind, step, task string, detail map[string]any) *entry {
	if detail == nil {
		detail = map[string]any{}
	}
	e := &entry{Event: Event{At: at.UTC(), Actor: actor, Kind: kind, Step: step, Task: task, Detail: detail}, source: src, seq: seq, rank: r}
	b.entries = append(b.entries, e)
	return e
}

// events sorts the kept entries by time, source, history order and rank.
func (b *builder) events() []Event {
	kept := slices.DeleteFunc(slices.Clone(b.entries), func(e *entry) bool { return e.dropped })
	slices.SortStableFunc(kept, func(x, y *entry) int {
		if c := x.At.Compare(y.At); c != 0 {
			return c
		}
		if x.source != y.source {
			return int(x.source) - int(y.source)
		}
		if x.seq != y.seq {
			return x.seq - y.seq
		}
		return int(x.rank) - int(y.rank)
	})
	out := make([]Event, len(kept))
	for i, e := range kept {
		out[i] = e.Event
	}
	return out
}

// commandTime is when the workflow did what an event records: the start of the
// workflow task that issued it.
func (b *builder) commandTime(ev *historypb.HistoryEvent) time.Time {
	if !b.wftTime.IsZero() {
		return b.wftTime
	}
	return ev.GetEventTime().AsTime()
}

// add turns one history event into audit entries.
func (b *builder) add(seq int, ev *historypb.HistoryEvent) error {
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
		return b.runStarted(seq, ev)
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
		b.wftTime = ev.GetEventTime().AsTime()
		return nil
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
		return b.activityScheduled(seq, ev)
	case enumspb.EVENT_TYPE_MARKER_RECORDED:
		return b.marker(seq, ev)
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
		a := ev.GetActivityTaskStartedEventAttributes()
		b.exec.attempts[a.GetScheduledEventId()] = a.GetAttempt()
		return nil
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
		return b.activityCompleted(seq, ev)
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED, enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
		enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
		return b.activityFailed(seq, ev)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
		return b.updateAccepted(seq, ev)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
		return b.updateCompleted(ev)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
		return b.signalled(ev)
	case enumspb.EVENT_TYPE_TIMER_STARTED, enumspb.EVENT_TYPE_TIMER_FIRED:
		return b.timer(seq, ev)
	case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
		enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
		enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
		enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
		enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
		enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
		enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
		return b.child(seq, ev)
	}
	return b.runEvent(seq, ev)
}

// runStarted records who started the run with what. An execution continued from an
// earlier one (continue-as-new) is the same run and adds no event.
func (b *builder) runStarted(seq int, ev *historypb.HistoryEvent) error {
	b.exec = newExecution()
	b.wftTime = time.Time{}
	a := ev.GetWorkflowExecutionStartedEventAttributes()
	if id := a.GetWorkflowId(); id != "" {
		b.runID = id
	}
	if a.GetInitiator() == enumspb.CONTINUE_AS_NEW_INITIATOR_WORKFLOW && a.GetContinuedExecutionRunId() != "" {
		return nil
	}
	var in workflows.RunInput
	if err := b.decode(a.GetInput(), &in); err != nil {
		return err
	}
	detail := map[string]any{"version": in.Version, "inputs": orEmpty(in.Inputs)}
	if in.Program != nil {
		detail["definition"], detail["hash"] = in.Program.Key, in.Program.Hash
	}
	if in.BusinessKey != "" {
		detail["business_key"] = in.BusinessKey
	}
	if p := a.GetParentWorkflowExecution(); p != nil {
		detail["parent_run"] = p.GetWorkflowId()
	}
	b.emit(fromEvent, seq, rankFirst, ev.GetEventTime().AsTime(), in.StartedBy, KindRunStarted, "", "", detail)
	return nil
}

// decode reads the first payload into v; absent payloads leave v as it is.
func (b *builder) decode(p *commonpb.Payloads, v any) error {
	if len(p.GetPayloads()) == 0 {
		return nil
	}
	if err := b.dc.FromPayloads(p, v); err != nil {
		return fmt.Errorf("decode payload: %w", err)
	}
	return nil
}

// summary is the plain-words summary the workflow gave an activity or timer.
func (b *builder) summary(ev *historypb.HistoryEvent) (string, error) {
	p := ev.GetUserMetadata().GetSummary()
	if p == nil {
		return "", nil
	}
	var s string
	if err := b.dc.FromPayload(p, &s); err != nil {
		return "", fmt.Errorf("decode summary: %w", err)
	}
	return s, nil
}

// stepOf names the step of a task opened earlier.
func (b *builder) stepOf(task string) string { return b.tasks[task].step }

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
