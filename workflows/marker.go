package workflows

import (
	"fmt"
	"slices"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
)

// localActivityMarker names the marker the Temporal Go SDK records for a local activity.
const localActivityMarker = "LocalActivity"

// SyncInboxWritten reads, from a history event, the inbox write a successful SyncInbox
// local activity made (interpreter version 2): its marker carries InboxResult with the
// write echoed in Written. ok is false for any other event, another local activity,
// or a failed attempt (which wrote nothing and is retried). History readers (the audit
// trail, the chaos oracle) use it; workflow code does not.
func SyncInboxWritten(ev *historypb.HistoryEvent, dc converter.DataConverter) (res InboxResult, ok bool, err error) {
	m := ev.GetMarkerRecordedEventAttributes()
	if m == nil || m.GetMarkerName() != localActivityMarker || m.GetFailure() != nil {
		return res, false, nil
	}
	var data struct{ ActivityType string }
	if err := dc.FromPayloads(m.GetDetails()["data"], &data); err != nil {
		return res, false, fmt.Errorf("event %d: decode a local activity marker: %w", ev.GetEventId(), err)
	}
	if data.ActivityType != ActivitySyncInbox {
		return res, false, nil
	}
	if err := dc.FromPayloads(m.GetDetails()["result"], &res); err != nil {
		return res, false, fmt.Errorf("event %d: decode a SyncInbox result: %w", ev.GetEventId(), err)
	}
	if res.Written == nil {
		return res, false, fmt.Errorf("event %d: the SyncInbox marker does not carry its write", ev.GetEventId())
	}
	return res, true, nil
}

// InboxWrites reads, from the events of a run's history in order (its executions one
// after the other), every inbox
// write that completed: SyncInbox markers (interpreter version 2 on), and SyncInbox
// activities that completed (version 1). Each comes with the write in Written and the
// assignees it resolved applied to the tasks it opened. A failed attempt wrote nothing.
// `handoff inbox rebuild` rewrites the projection from them.
func InboxWrites(events []*historypb.HistoryEvent, dc converter.DataConverter) ([]InboxResult, error) {
	var out []InboxResult
	scheduled := map[int64]InboxSync{}
	for _, ev := range events {
		switch {
		case ev.GetMarkerRecordedEventAttributes() != nil:
			res, ok, err := SyncInboxWritten(ev, dc)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, resolved(res))
			}
		case ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName() == ActivitySyncInbox:
			var s InboxSync
			if err := dc.FromPayloads(ev.GetActivityTaskScheduledEventAttributes().GetInput(), &s); err != nil {
				return nil, fmt.Errorf("event %d: decode a SyncInbox input: %w", ev.GetEventId(), err)
			}
			scheduled[ev.GetEventId()] = s
		case ev.GetActivityTaskCompletedEventAttributes() != nil:
			a := ev.GetActivityTaskCompletedEventAttributes()
			s, ok := scheduled[a.GetScheduledEventId()]
			if !ok {
				continue
			}
			delete(scheduled, a.GetScheduledEventId())
			var res InboxResult
			if err := dc.FromPayloads(a.GetResult(), &res); err != nil {
				return nil, fmt.Errorf("event %d: decode a SyncInbox result: %w", ev.GetEventId(), err)
			}
			res.Written = &s
			out = append(out, resolved(res))
		}
	}
	return out, nil
}

// resolved applies the assignees a write resolved to the tasks it opened.
func resolved(res InboxResult) InboxResult {
	w := *res.Written
	w.Open = slices.Clone(w.Open)
	for i := range w.Open {
		if i < len(res.Assignees) {
			w.Open[i].Task.Assignees = res.Assignees[i]
		}
	}
	res.Written = &w
	return res
}
