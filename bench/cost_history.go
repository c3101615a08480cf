package bench

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/proto"
)

// cloudActions counts the Temporal Cloud actions a history records, as
// https://docs.temporal.io/cloud/actions defines them: a workflow start (client,
// continue-as-new, child), each accepted Update (with UpdateWithStart, in addition to
// the start), each signal, each timer started, each activity scheduled and each retry
// (ActivityTaskStarted.attempt − 1), each search-attribute upsert (one per command
// whatever it sets; TemporalChangeVersion alone is exempt), two per child workflow
// initiated, and for local activities one per workflow task that records markers (all
// the markers of one workflow task are one action) plus their retries
// (metering_metadata.nonfirst_local_activity_execution_attempts). Actions that leave no
// event — queries, rejected Updates, heartbeats — are not counted; the P flows send none.
func cloudActions(events []*historypb.HistoryEvent) int {
	n := 0
	marked := false // the current workflow task's commands recorded a marker
	for _, ev := range events {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
			enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, enumspb.EVENT_TYPE_TIMER_STARTED,
			enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, enumspb.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED:
			n++
		case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
			n += 2
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			n += max(int(ev.GetActivityTaskStartedEventAttributes().GetAttempt())-1, 0)
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			fields := ev.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()
			if _, v := fields["TemporalChangeVersion"]; !v || len(fields) > 1 {
				n++
			}
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			marked = false
			n += int(ev.GetWorkflowTaskCompletedEventAttributes().GetMeteringMetadata().GetNonfirstLocalActivityExecutionAttempts())
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if !marked {
				n++
				marked = true
			}
		}
	}
	return n
}

// historyParts splits a history's bytes (the protobuf size of each event) into the
// parts a reader can act on: the start event's program snapshot, the rest of its input
// and the rest of the event (search attributes, summary, ids); workflow task events;
// local activity markers, with the inbox write they echo apart; each Update's request
// and answer by name; search-attribute upserts; the result; anything else by type.
func historyParts(events []*historypb.HistoryEvent) map[string]int {
	parts := map[string]int{}
	updates := map[int64]string{} // accepted event id → update name
	for _, ev := range events {
		n := proto.Size(ev)
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			in := ev.GetWorkflowExecutionStartedEventAttributes().GetInput()
			program := jsonFieldSize(in, "program")
			parts["start: program"] += program
			parts["start: rest of input"] += proto.Size(in) - program
			parts["start: rest of event"] += n - proto.Size(in)
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED,
			enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			parts["workflow tasks"] += n
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			echo := jsonFieldSize(ev.GetMarkerRecordedEventAttributes().GetDetails()["result"], "written")
			parts["markers: inbox write echoed"] += echo
			parts["markers: rest"] += n - echo
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			name := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetName()
			updates[ev.GetEventId()] = name
			parts["update "+name+": request"] += n
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
			parts["update "+updates[ev.GetWorkflowExecutionUpdateCompletedEventAttributes().GetAcceptedEventId()]+": answer"] += n
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			parts["search-attribute upserts"] += n
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
			parts["result"] += n
		default:
			parts["other: "+strings.ToLower(strings.TrimPrefix(ev.GetEventType().String(), "EVENT_TYPE_"))] += n
		}
	}
	return parts
}

// jsonFieldSize is the size of one top-level field of the first payload's JSON object
// (0 when absent or not JSON).
func jsonFieldSize(p *commonpb.Payloads, field string) int {
	if len(p.GetPayloads()) == 0 {
		return 0
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(p.GetPayloads()[0].GetData(), &obj) != nil {
		return 0
	}
	return len(obj[field])
}

// partsNote prints parts largest first with their share: "start: program 1,234 (40%), …".
func partsNote(parts map[string]int) string {
	total := 0
	keys := make([]string, 0, len(parts))
	for k, v := range parts {
		total += v
		if v > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int {
		if parts[a] != parts[b] {
			return parts[b] - parts[a]
		}
		return strings.Compare(a, b)
	})
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%s %d (%.0f%%)", k, parts[k], 100*float64(parts[k])/float64(max(total, 1)))
	}
	return fmt.Sprintf("%d in all: %s", total, strings.Join(out, ", "))
}

// eventReason says why Handoff records an event type more often than the minimal code.
var eventReason = map[string]string{
	"MARKER_RECORDED": "SyncInbox local activity markers: the inbox projection writes (run row, tasks opened " +
		"and closed, notifications), one per rest",
	"UPSERT_WORKFLOW_SEARCH_ATTRIBUTES": "HandoffOpenSteps/HandoffAssignees upserts when the open tasks change " +
		"(cleared at the end before interpreter version 3)",
	"WORKFLOW_EXECUTION_UPDATE_ACCEPTED": "the settle Update sent with the start (UpdateWithStart), so that " +
		"POST /v1/runs answers with the first open tasks",
	"WORKFLOW_EXECUTION_UPDATE_COMPLETED": "the settle Update's answer",
	"WORKFLOW_TASK_SCHEDULED":             "more workflow tasks",
	"WORKFLOW_TASK_STARTED":               "more workflow tasks",
	"WORKFLOW_TASK_COMPLETED":             "more workflow tasks",
}

// eventReasons lists the event types Handoff's history (a) has more or fewer of than the
// minimal one (b), each with its reason.
func eventReasons(a, b []string) string {
	count := func(xs []string) map[string]int {
		m := map[string]int{}
		for _, x := range xs {
			m[x]++
		}
		return m
	}
	ca, cb := count(a), count(b)
	var keys []string
	for k := range ca {
		keys = append(keys, k)
	}
	for k := range cb {
		if _, ok := ca[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		d := ca[k] - cb[k]
		if d == 0 {
			continue
		}
		s := fmt.Sprintf("%+d %s", d, k)
		if r, ok := eventReason[k]; ok && d > 0 {
			s += " (" + r + ")"
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return "the same events as the minimal workflow"
	}
	return "Handoff vs minimal: " + strings.Join(out, "; ")
}
