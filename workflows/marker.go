package workflows

import (
	"fmt"

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
