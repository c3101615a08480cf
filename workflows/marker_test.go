package workflows

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// TestSyncInboxWritten reads the inbox writes of a recorded version 2 run from its
// markers, and ignores or refuses the markers that carry none.
func TestSyncInboxWritten(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "histories", "v2", "task-completed.json"))
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	require.NoError(t, err)
	dc := converter.GetDefaultDataConverter()

	var writes []InboxSync
	var marker *historypb.HistoryEvent
	for _, ev := range h.GetEvents() {
		res, ok, err := SyncInboxWritten(ev, dc)
		require.NoError(t, err)
		if ok {
			writes = append(writes, *res.Written)
			marker = ev
		}
	}
	require.NotEmpty(t, writes)
	require.NotEmpty(t, writes[0].Open, "the first write opens the first task")
	require.NotNil(t, writes[0].Run, "and records the run")
	require.NotNil(t, writes[len(writes)-1].Run, "the last write records the run's end")

	failed := proto.Clone(marker).(*historypb.HistoryEvent)
	failed.GetMarkerRecordedEventAttributes().Failure = &failurepb.Failure{Message: "database is down"}
	_, ok, err := SyncInboxWritten(failed, dc)
	require.NoError(t, err)
	require.False(t, ok, "a failed attempt wrote nothing")

	bare := proto.Clone(marker).(*historypb.HistoryEvent)
	p, err := dc.ToPayloads(InboxResult{Assignees: [][]string{}})
	require.NoError(t, err)
	bare.GetMarkerRecordedEventAttributes().Details["result"] = p
	_, _, err = SyncInboxWritten(bare, dc)
	require.ErrorContains(t, err, "does not carry its write")

	other := proto.Clone(marker).(*historypb.HistoryEvent)
	d, err := dc.ToPayloads(struct{ ActivityType string }{"HTTPCall"})
	require.NoError(t, err)
	other.GetMarkerRecordedEventAttributes().Details = map[string]*commonpb.Payloads{"data": d}
	_, ok, err = SyncInboxWritten(other, dc)
	require.NoError(t, err)
	require.False(t, ok, "another local activity")
}
