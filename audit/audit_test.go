package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/handoffhq/handoff/encryption"
	"github.com/handoffhq/handoff/workflows"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// loadHistory reads a recorded history (protojson of history.v1.History).
func loadHistory(t *testing.T, path string) []*historypb.HistoryEvent {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var h historypb.History
	require.NoError(t, protojson.Unmarshal(b, &h))
	return h.GetEvents()
}

// TestBuildGolden derives the audit trail of every recorded history and compares it
// with its golden file (go test ./audit -update rewrites them).
func TestBuildGolden(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.history.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths, "no recorded histories: run go test ./audit -run TestRecordHistories -record")
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".history.json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			events, err := Build(loadHistory(t, path), converter.GetDefaultDataConverter())
			require.NoError(t, err)
			got, err := json.MarshalIndent(map[string]any{"events": events}, "", "  ")
			require.NoError(t, err)
			got = append(got, '\n')
			golden := filepath.Join("testdata", name+".golden.json")
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run with -update to create it")
			require.Equal(t, string(want), string(got))
		})
	}
}

// TestPurchaseTrail pins what an auditor reads in the purchase run, independent of
// the golden file's exact text: every action, in order, with its actor.
// Interpreter version 2 writes the inbox with local activities: the trail is the same,
// read from the activity's marker instead of its scheduled event (and version 2 records
// the end of the delivery wait, which version 1 left out).
func TestPurchaseTrail(t *testing.T) {
	for _, version := range []string{"v1", "v2"} {
		t.Run(version, func(t *testing.T) { testPurchaseTrail(t, version) })
	}
}

func testPurchaseTrail(t *testing.T, version string) {
	events, err := Build(loadHistory(t, filepath.Join("testdata", "purchase-"+version+".history.json")), converter.GetDefaultDataConverter())
	require.NoError(t, err)
	for i := 1; i < len(events); i++ {
		require.False(t, events[i].At.Before(events[i-1].At), "events are in time order: %d %s", i, events[i].Kind)
	}
	type action struct{ kind, actor, step string }
	want := []action{
		{KindRunStarted, "ann", ""},
		{KindStepSkipped, ActorSystem, "express"},
		{KindTaskAssigned, ActorSystem, "quote"},
		{KindEventReceived, "carrier-hook", ""},
		{KindTaskClaimed, "alice", "quote"},
		{KindTaskReassigned, "alice", "quote"},
		{KindTaskDelegated, "carl", "quote"},
		{KindReminder, ActorSystem, "quote"},
		{KindOverdue, ActorSystem, "quote"},
		{KindEscalation, ActorSystem, "quote"},
		{KindTaskCompleted, "dave", "quote"},
		{KindDecision, ActorSystem, "route"},
		{KindTaskAssigned, ActorSystem, "approve"},
		{KindRejected, "mona", "approve"},
		{KindTaskCompleted, "mona", "approve"},
		{KindStepSentBack, "mona", "approve"},
		{KindTaskAssigned, ActorSystem, "revise"},
		{KindSignalRejected, "ann", "revise"},
		{KindTaskCompleted, "ann", "revise"},
		{KindTaskAssigned, ActorSystem, "approve"},
		{KindApproved, "mona", "approve"},
		{KindTaskCompleted, "mona", "approve"},
		{KindDecision, ActorSystem, "after_approve"},
		{KindIntegrationCall, ActorSystem, "order"},
		{KindIntegrationFailed, ActorSystem, "order"},
		{KindTaskAssigned, ActorSystem, "order"},
		{KindTaskCompleted, "pat", "order"},
		{KindFixItChoice, "pat", "order"},
		{KindIntegrationCall, ActorSystem, "order"},
		{KindIntegrationResult, ActorSystem, "order"},
	}
	if version != "v1" {
		want = append(want, action{workflows.JournalWaited, "carrier-hook", "delivery"})
	}
	want = append(want,
		action{KindIntegrationCall, ActorSystem, "tell"},
		action{KindIntegrationResult, ActorSystem, "tell"},
		action{KindRunCompleted, ActorSystem, ""},
	)
	var got []action
	for _, e := range events {
		if strings.HasPrefix(e.Kind, "timer.") {
			continue
		}
		got = append(got, action{e.Kind, e.Actor, e.Step})
	}
	require.Equal(t, want, got)

	byKind := map[string]Event{}
	for _, e := range events {
		if _, seen := byKind[e.Kind]; !seen {
			byKind[e.Kind] = e
		}
	}
	require.Equal(t, map[string]any{"item": "Standing desk", "rush": false}, byKind[KindRunStarted].Detail["inputs"])
	require.EqualValues(t, 1, byKind[KindDecision].Detail["rule"], "the decision names the rule that matched")
	require.Equal(t, "Too expensive: find a cheaper desk", byKind[KindRejected].Detail["comment"])
	require.Equal(t, []string{"mona"}, findTask(events, KindTaskAssigned, "approve").Detail["assignees"])
	require.Equal(t, "signal", findTask(events, KindTaskCompleted, "revise").Detail["via"])
	require.Equal(t, "edit", byKind[KindFixItChoice].Detail["choice"])
	require.Equal(t, map[string]any{"X-Api-Key": "secret:erp-api-key"}, byKind[KindIntegrationCall].Detail["secret_headers"])
}

// findTask returns the first event of the kind for the step.
func findTask(events []Event, kind, step string) Event {
	for _, e := range events {
		if e.Kind == kind && e.Step == step {
			return e
		}
	}
	return Event{}
}

func TestWriteCSV(t *testing.T) {
	for _, version := range []string{"v1", "v2"} {
		t.Run(version, func(t *testing.T) { testWriteCSV(t, version) })
	}
}

func testWriteCSV(t *testing.T, version string) {
	events, err := Build(loadHistory(t, filepath.Join("testdata", "sync-failed-"+version+".history.json")), converter.GetDefaultDataConverter())
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteCSV(&buf, events))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Equal(t, "at,actor,kind,step,task,detail", lines[0])
	require.Len(t, lines, len(events)+1)
	require.Contains(t, buf.String(), `,scheduler,run.started,,,"{""definition"":""audit-sync""`)
	require.Contains(t, buf.String(), `integration.failed,push,,"{""attempts"":2,`)
}

// TestBuildDecodesWithTheCodec encrypts every payload of a recorded history, as a
// worker with the encryption codec writes them, and expects the same trail through the
// codec's data converter and a decoding error without it.
func TestBuildDecodesWithTheCodec(t *testing.T) {
	for _, version := range []string{"v1", "v2"} {
		t.Run(version, func(t *testing.T) { testBuildDecodesWithTheCodec(t, version) })
	}
}

func testBuildDecodesWithTheCodec(t *testing.T, version string) {
	history := loadHistory(t, filepath.Join("testdata", "purchase-"+version+".history.json"))
	plain, err := Build(history, converter.GetDefaultDataConverter())
	require.NoError(t, err)

	keys, err := encryption.ParseKeys("k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	require.NoError(t, err)
	codec, err := encryption.NewCodec(keys)
	require.NoError(t, err)
	encrypted := &historypb.History{Events: history}
	encrypted = proto.Clone(encrypted).(*historypb.History)
	require.NoError(t, proxy.VisitPayloads(context.Background(), encrypted, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
			return codec.Encode(p)
		},
	}))
	decoded, err := Build(encrypted.GetEvents(), codec.DataConverter())
	require.NoError(t, err)
	require.Equal(t, plain, decoded)

	_, err = Build(encrypted.GetEvents(), converter.GetDefaultDataConverter())
	require.Error(t, err, "without the key the payloads cannot be read")
}
