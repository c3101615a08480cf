package bench

import (
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	updatepb "go.temporal.io/api/update/v1"
)

func histEvent(t enumspb.EventType) *historypb.HistoryEvent {
	return &historypb.HistoryEvent{EventType: t}
}

func TestCloudActionsCountsAsTemporalCloudBills(t *testing.T) {
	wftDone := func(laRetries uint32) *historypb.HistoryEvent {
		e := histEvent(enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
		e.Attributes = &historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes{
			WorkflowTaskCompletedEventAttributes: &historypb.WorkflowTaskCompletedEventAttributes{
				MeteringMetadata: &commonpb.MeteringMetadata{NonfirstLocalActivityExecutionAttempts: laRetries}}}
		return e
	}
	upsert := func(keys ...string) *historypb.HistoryEvent {
		fields := map[string]*commonpb.Payload{}
		for _, k := range keys {
			fields[k] = &commonpb.Payload{}
		}
		e := histEvent(enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
		e.Attributes = &historypb.HistoryEvent_UpsertWorkflowSearchAttributesEventAttributes{
			UpsertWorkflowSearchAttributesEventAttributes: &historypb.UpsertWorkflowSearchAttributesEventAttributes{
				SearchAttributes: &commonpb.SearchAttributes{IndexedFields: fields}}}
		return e
	}
	started := func(attempt int32) *historypb.HistoryEvent {
		e := histEvent(enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED)
		e.Attributes = &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{
			ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{Attempt: attempt}}
		return e
	}
	history := []*historypb.HistoryEvent{
		histEvent(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED), // 1
		histEvent(enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),    // 0
		histEvent(enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED),      // 0
		wftDone(0), // 0
		histEvent(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),  // 1 (UpdateWithStart's Update)
		histEvent(enumspb.EVENT_TYPE_MARKER_RECORDED),                     // 1: the first marker of the task
		histEvent(enumspb.EVENT_TYPE_MARKER_RECORDED),                     // 0: same workflow task
		upsert("HandoffOpenSteps", "HandoffAssignees"),                    // 1: one command, two attributes
		upsert("TemporalChangeVersion"),                                   // 0: exempt
		histEvent(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED), // 0
		histEvent(enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
		histEvent(enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED),
		wftDone(2), // 2 local activity retries
		histEvent(enumspb.EVENT_TYPE_MARKER_RECORDED),                          // 1: a new workflow task
		histEvent(enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),                  // 1
		histEvent(enumspb.EVENT_TYPE_TIMER_STARTED),                            // 1
		histEvent(enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED), // 2
		started(3), // 2 retries
		histEvent(enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
		histEvent(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED), // 1
		histEvent(enumspb.EVENT_TYPE_TIMER_FIRED),
		histEvent(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED),
	}
	if got, want := cloudActions(history), 1+1+1+1+2+1+1+1+2+2+1; got != want {
		t.Fatalf("cloudActions = %d, want %d", got, want)
	}
}

func TestHistoryPartsSplitsUpdatesByName(t *testing.T) {
	accepted := histEvent(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
	accepted.EventId = 5
	accepted.Attributes = &historypb.HistoryEvent_WorkflowExecutionUpdateAcceptedEventAttributes{
		WorkflowExecutionUpdateAcceptedEventAttributes: &historypb.WorkflowExecutionUpdateAcceptedEventAttributes{
			AcceptedRequest: &updatepb.Request{Input: &updatepb.Input{Name: "settle"}}}}
	completed := histEvent(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
	completed.Attributes = &historypb.HistoryEvent_WorkflowExecutionUpdateCompletedEventAttributes{
		WorkflowExecutionUpdateCompletedEventAttributes: &historypb.WorkflowExecutionUpdateCompletedEventAttributes{AcceptedEventId: 5}}
	started := histEvent(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
	started.Attributes = &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{
		WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
			Input: &commonpb.Payloads{Payloads: []*commonpb.Payload{{Data: []byte(`{"program":{"key":"k"},"version":1}`)}}}}}
	parts := historyParts([]*historypb.HistoryEvent{started, accepted, completed})
	if parts["update settle: request"] == 0 || parts["update settle: answer"] == 0 {
		t.Fatalf("the settle Update's events are not named: %v", parts)
	}
	if got := parts["start: program"]; got != len(`{"key":"k"}`) {
		t.Fatalf("start: program = %d, want %d (%v)", got, len(`{"key":"k"}`), parts)
	}
}
