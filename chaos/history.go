package chaos

import (
	"context"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/handoffhq/handoff/workflows"
)

// runHistory is what the oracle reads from one run in Temporal: its description and the
// facts of its history that the checks need.
type runHistory struct {
	id     string
	found  bool
	status enumspb.WorkflowExecutionStatus
	// stuckBecause says why a run that has not completed cannot go on, from its description.
	stuckBecause string

	updatesDone     map[string]int // update id → successful UpdateCompleted events
	updatesAccepted map[string]int // update id → UpdateAccepted events
	syncs           []workflows.InboxSync
	syncsPending    int      // SyncInbox activities scheduled but not completed (version 1 runs)
	httpKeys        []string // Idempotency-Keys of the HTTPCall activities scheduled
	result          *workflows.RunState
	taskFailures    map[string]int // WorkflowTaskFailed cause → count
	continued       bool
}

// readHistory describes the run and reads its history (the latest execution of the id).
func readHistory(ctx context.Context, tc client.Client, id string) (runHistory, error) {
	h := runHistory{id: id, updatesDone: map[string]int{}, updatesAccepted: map[string]int{}, taskFailures: map[string]int{}}
	desc, err := tc.DescribeWorkflow(ctx, id, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return h, nil
	}
	if err != nil {
		return h, fmt.Errorf("describe run %s: %w", id, err)
	}
	h.found = true
	raw := desc.RawResponse
	h.status = raw.GetWorkflowExecutionInfo().GetStatus()
	if h.status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		h.stuckBecause = stuckReason(raw.GetPendingWorkflowTask().GetAttempt(), raw.GetPendingActivities())
	}
	scheduled := map[int64]any{}
	it := tc.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return h, fmt.Errorf("read the history of run %s: %w", id, err)
		}
		if err := h.note(ev.GetEventId(), ev, scheduled); err != nil {
			return h, fmt.Errorf("run %s event %d: %w", id, ev.GetEventId(), err)
		}
	}
	for _, v := range scheduled {
		if _, ok := v.(workflows.InboxSync); ok {
			h.syncsPending++
		}
	}
	if h.result != nil && h.result.Steps == nil {
		// From interpreter version 3 the result says only how the run ended
		// (workflows/brief.go); its steps are the state query's, replayed from the history.
		v, err := tc.QueryWorkflow(ctx, id, "", workflows.QueryState)
		if err != nil {
			return h, fmt.Errorf("query the state of run %s: %w", id, err)
		}
		if err := v.Get(h.result); err != nil {
			return h, fmt.Errorf("decode the state of run %s: %w", id, err)
		}
	}
	return h, nil
}

// note takes what the checks need from one event. scheduled holds the inputs of the
// activities scheduled and not completed yet, by event id.
func (h *runHistory) note(id int64, ev *historypb.HistoryEvent, scheduled map[int64]any) error {
	dc := converter.GetDefaultDataConverter()
	switch {
	case ev.GetActivityTaskScheduledEventAttributes() != nil:
		a := ev.GetActivityTaskScheduledEventAttributes()
		switch a.GetActivityType().GetName() {
		case workflows.ActivitySyncInbox:
			var s workflows.InboxSync
			if err := dc.FromPayloads(a.GetInput(), &s); err != nil {
				return fmt.Errorf("decode a SyncInbox input: %w", err)
			}
			scheduled[id] = s
		case workflows.ActivityHTTP:
			var r workflows.HTTPRequest
			if err := dc.FromPayloads(a.GetInput(), &r); err != nil {
				return fmt.Errorf("decode an HTTPCall input: %w", err)
			}
			h.httpKeys = append(h.httpKeys, r.IdempotencyKey)
		}
	case ev.GetActivityTaskCompletedEventAttributes() != nil:
		sid := ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()
		if s, ok := scheduled[sid].(workflows.InboxSync); ok {
			h.syncs = append(h.syncs, s)
		}
		delete(scheduled, sid)
	case ev.GetMarkerRecordedEventAttributes() != nil:
		// Interpreter version 2 writes the inbox as a local activity: its marker carries
		// the write it completed; failed attempts leave no write.
		res, ok, err := workflows.SyncInboxWritten(ev, dc)
		if err != nil {
			return err
		}
		if ok {
			h.syncs = append(h.syncs, *res.Written)
		}
	case ev.GetWorkflowExecutionUpdateAcceptedEventAttributes() != nil:
		h.updatesAccepted[ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetMeta().GetUpdateId()]++
	case ev.GetWorkflowExecutionUpdateCompletedEventAttributes() != nil:
		u := ev.GetWorkflowExecutionUpdateCompletedEventAttributes()
		if u.GetOutcome().GetFailure() == nil {
			h.updatesDone[u.GetMeta().GetUpdateId()]++
		}
	case ev.GetWorkflowTaskFailedEventAttributes() != nil:
		h.taskFailures[ev.GetWorkflowTaskFailedEventAttributes().GetCause().String()]++
	case ev.GetWorkflowExecutionContinuedAsNewEventAttributes() != nil:
		h.continued = true
	case ev.GetWorkflowExecutionCompletedEventAttributes() != nil:
		var st workflows.RunState
		if err := decodeResult(ev.GetWorkflowExecutionCompletedEventAttributes().GetResult(), &st); err != nil {
			return err
		}
		h.result = &st
	}
	return nil
}

func decodeResult(p *commonpb.Payloads, v any) error {
	if err := converter.GetDefaultDataConverter().FromPayloads(p, v); err != nil {
		return fmt.Errorf("decode the run's result: %w", err)
	}
	return nil
}

// stuckReason says why a run that has not completed is not moving, from its description:
// a workflow task failing over and over, or an activity retrying.
func stuckReason(taskAttempt int32, acts []*workflowpb.PendingActivityInfo) string {
	if taskAttempt > 1 {
		return fmt.Sprintf("its workflow task is on attempt %d", taskAttempt)
	}
	for _, a := range acts {
		if a.GetAttempt() > 1 {
			return fmt.Sprintf("activity %s is on attempt %d: %s", a.GetActivityType().GetName(), a.GetAttempt(),
				a.GetLastFailure().GetMessage())
		}
	}
	if len(acts) > 0 {
		return "an activity is still running"
	}
	return "it waits"
}
