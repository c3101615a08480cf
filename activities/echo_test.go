package activities

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/handoffhq/handoff/audit"
	"github.com/handoffhq/handoff/workflows"
)

// TestEchoKeepsTheAuditTrail: the audit trail built from a history whose inbox writes
// are echoed whole (as before) is the one built from the same history with each echo
// as SyncInbox now writes it (echo), for every recorded history with inbox markers
// (the replay corpus of interpreter version 2 and the audit package's v2 histories,
// echoed whole; the v3 corpus, recorded with the echo, must not change by echoing it
// again); and what the chaos oracle reads of each write (task ids, statuses, outcomes,
// who, data, due dates, journal, how the run ended) is unchanged. The echo is smaller.
func TestEchoKeepsTheAuditTrail(t *testing.T) {
	dc := converter.GetDefaultDataConverter()
	var paths []string
	for _, pattern := range []string{"../workflows/testdata/histories/v2/*.json", "../workflows/testdata/histories/v3/*.json",
		"../audit/testdata/*-v2.history.json"} {
		p, err := filepath.Glob(pattern)
		require.NoError(t, err)
		paths = append(paths, p...)
	}
	markers, whole, echoed := 0, 0, 0
	for _, path := range paths {
		if filepath.Base(path) == "executions.json" {
			continue
		}
		t.Run(path, func(t *testing.T) {
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			var h historypb.History
			require.NoError(t, protojson.Unmarshal(b, &h))
			before, err := audit.Build(h.GetEvents(), dc)
			require.NoError(t, err)

			trimmed := proto.Clone(&h).(*historypb.History)
			var was, now []workflows.InboxSync
			for _, ev := range trimmed.GetEvents() {
				res, ok, err := workflows.SyncInboxWritten(ev, dc)
				require.NoError(t, err)
				if !ok {
					continue
				}
				details := ev.GetMarkerRecordedEventAttributes().GetDetails()
				size := proto.Size(details["result"])
				rest := res
				rest.Written = nil
				p, err := dc.ToPayloads(syncAnswer{InboxResult: rest, Written: echo(*res.Written)})
				require.NoError(t, err)
				details["result"] = p
				if filepath.Base(filepath.Dir(path)) == "v3" {
					require.Equal(t, size, proto.Size(p), "the v3 corpus is echoed as SyncInbox echoes")
				} else {
					whole, echoed, markers = whole+size, echoed+proto.Size(p), markers+1
				}
				again, ok, err := workflows.SyncInboxWritten(ev, dc)
				require.NoError(t, err)
				require.True(t, ok)
				require.Equal(t, res.Assignees, again.Assignees)
				was, now = append(was, *res.Written), append(now, *again.Written)
			}
			after, err := audit.Build(trimmed.GetEvents(), dc)
			require.NoError(t, err)
			require.Equal(t, before, after, "the audit trail is the same")
			require.Equal(t, oracleView(was), oracleView(now), "the chaos oracle reads the same")
		})
	}
	require.Positive(t, markers, "no history with inbox markers")
	require.Less(t, echoed, whole*4/5, "the echo is smaller: %d of %d bytes", echoed, whole)
	t.Logf("%d inbox markers: results %d bytes whole, %d echoed (%.0f %%)", markers, whole, echoed, 100*float64(echoed)/float64(whole))
}

// oracleView is what the chaos oracle reads of inbox writes (chaos/projection.go,
// chaos/oracle.go).
func oracleView(ws []workflows.InboxSync) []map[string]any {
	var out []map[string]any
	for _, w := range ws {
		m := map[string]any{"journal": w.Journal}
		if w.Run != nil {
			m["run"] = []any{w.Run.Status, w.Run.CompletedAt, w.Run.Error}
		}
		for _, c := range w.Close {
			m["close "+c.ID] = []any{c.StepID, c.Kind, c.Status, c.Outcome, c.CompletedBy, c.Data, c.Votes, c.Comment, c.CompletedAt}
		}
		for _, o := range w.Open {
			t := o.Task
			m["open "+t.ID] = []any{t.StepID, t.Kind, t.Title, t.Assignees, t.CandidateGroups, t.DueAt, t.CreatedAt, o.ManagerOf,
				t.Description, t.ClaimedBy, t.Form, t.Status}
		}
		out = append(out, m)
	}
	return out
}
