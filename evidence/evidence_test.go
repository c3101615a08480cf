package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The recorded run of audit-purchase on the current interpreter version (see audit/record_test.go).
var (
	historyFile    = filepath.Join("..", "audit", "testdata", "purchase-v2.history.json")
	definitionFile = filepath.Join("..", "audit", "testdata", "definitions", "audit-purchase.yaml")
)

func loadHistory(t *testing.T) []*historypb.HistoryEvent {
	t.Helper()
	b, err := os.ReadFile(historyFile)
	require.NoError(t, err)
	var h historypb.History
	require.NoError(t, protojson.Unmarshal(b, &h))
	return h.GetEvents()
}

func purchaseDefinition(t *testing.T) Definition {
	t.Helper()
	src, err := os.ReadFile(definitionFile)
	require.NoError(t, err)
	return Definition{Key: "audit-purchase", Version: 1, Hash: sourceHash(string(src)), Source: string(src)}
}

// newEvidence builds the evidence and sends it through JSON, as a file would.
func newEvidence(t *testing.T, history []*historypb.HistoryEvent) *Evidence {
	t.Helper()
	ev, err := New(Temporal{Namespace: "default", WorkflowID: "audit-purchase-x", RunID: "r1"}, purchaseDefinition(t),
		history, converter.GetDefaultDataConverter(), time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	var out Evidence
	require.NoError(t, json.Unmarshal(b, &out))
	return &out
}

func cloneHistory(h []*historypb.HistoryEvent) []*historypb.HistoryEvent {
	out := make([]*historypb.HistoryEvent, len(h))
	for i, ev := range h {
		out[i] = proto.Clone(ev).(*historypb.HistoryEvent)
	}
	return out
}

func TestEvidenceVerifies(t *testing.T) {
	history := loadHistory(t)
	ev := newEvidence(t, history)
	require.Equal(t, len(history), ev.History.Events)
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, ev.History.Digest)
	require.NotEmpty(t, ev.Audit.Events)
	require.NoError(t, Verify(ev, history, converter.GetDefaultDataConverter()))

	// A run that was still going when the evidence was made has more events later.
	longer := append(cloneHistory(history), &historypb.HistoryEvent{EventId: int64(len(history) + 1),
		EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED})
	require.NoError(t, Verify(ev, longer, converter.GetDefaultDataConverter()))
}

// TestVerifyDetectsTampering changes a copy of the history (Temporal's own cannot be
// edited) or the evidence file, and expects Verify to name what no longer matches.
func TestVerifyDetectsTampering(t *testing.T) {
	history := loadHistory(t)
	tests := []struct {
		name    string
		history func(h []*historypb.HistoryEvent) []*historypb.HistoryEvent
		file    func(ev *Evidence)
		want    []string
	}{
		{name: "a completion's form data changed in history", history: func(h []*historypb.HistoryEvent) []*historypb.HistoryEvent {
			replaceInPayloads(t, h, `"price":1450`, `"price":145`)
			return h
		}, want: []string{"the history digest is", "the audit trail differs"}},
		{name: "an event's time changed", history: func(h []*historypb.HistoryEvent) []*historypb.HistoryEvent {
			h[5].EventTime = timestamppb.New(h[5].GetEventTime().AsTime().Add(time.Hour))
			return h
		}, want: []string{"the history digest is"}},
		{name: "an event removed", history: func(h []*historypb.HistoryEvent) []*historypb.HistoryEvent {
			return append(h[:10:10], h[11:]...)
		}, want: []string{"the evidence covers"}},
		{name: "the audit trail edited in the file", file: func(ev *Evidence) {
			ev.Audit.Events[1].Actor = "mallory"
		}, want: []string{"the audit trail differs"}},
		{name: "the digest edited in the file", file: func(ev *Evidence) {
			ev.History.Digest = "sha256:" + strings.Repeat("0", 64)
		}, want: []string{"the history digest is"}},
		{name: "the definition source edited", file: func(ev *Evidence) {
			ev.Definition.Source += "# edited\n"
		}, want: []string{"does not hash to"}},
		{name: "another definition passed off with its own hash", file: func(ev *Evidence) {
			ev.Definition.Source += "# edited\n"
			ev.Definition.Hash = sourceHash(ev.Definition.Source)
		}, want: []string{"is not the hash", "of the program the run executed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := newEvidence(t, history)
			h := cloneHistory(history)
			if tt.history != nil {
				h = tt.history(h)
			}
			if tt.file != nil {
				tt.file(ev)
			}
			err := Verify(ev, h, converter.GetDefaultDataConverter())
			var mismatch *MismatchError
			require.True(t, errors.As(err, &mismatch), "want a mismatch, got %v", err)
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

// replaceInPayloads edits the JSON of every payload in the history that contains old.
func replaceInPayloads(t *testing.T, h []*historypb.HistoryEvent, old, new string) {
	t.Helper()
	changed := 0
	for _, ev := range h {
		visit := func(p *commonpb.Payloads) {
			for _, pl := range p.GetPayloads() {
				if bytes.Contains(pl.Data, []byte(old)) {
					pl.Data = bytes.ReplaceAll(pl.Data, []byte(old), []byte(new))
					changed++
				}
			}
		}
		visit(ev.GetActivityTaskScheduledEventAttributes().GetInput())
		visit(ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetArgs())
		for _, p := range ev.GetMarkerRecordedEventAttributes().GetDetails() { // local activities (interpreter version 2)
			visit(p)
		}
	}
	require.NotZero(t, changed, "no payload contains %s", old)
}

// TestCanonicalForm pins the canonical serialisation: evidence made today must verify
// with every later handoff, so a change here must come with a new CanonicalForm.
func TestCanonicalForm(t *testing.T) {
	history := loadHistory(t)
	a, err := Canonical(history)
	require.NoError(t, err)
	b, err := Canonical(cloneHistory(history))
	require.NoError(t, err)
	require.Equal(t, a, b)

	lines := strings.Split(strings.TrimSuffix(string(a), "\n"), "\n")
	require.Len(t, lines, len(history))
	first := `{"eventId":"1","eventTime":"` + history[0].GetEventTime().AsTime().Format("2006-01-02T15:04:05.999999999Z") +
		`","eventType":"EVENT_TYPE_WORKFLOW_EXECUTION_STARTED","taskId":"`
	require.True(t, strings.HasPrefix(lines[0], first), lines[0][:200])
	for _, l := range lines {
		require.NotContains(t, l, "\n")
		require.NotContains(t, l, `": `, "no insignificant whitespace")
	}
}
