package encryption

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/workflows"
)

// TestReplayEncryptedHistory encrypts a recorded run's history as a worker with the
// codec writes it, and replays it: through a replayer with the codec's data converter
// it replays; without it, the workflow cannot even read its input.
func TestReplayEncryptedHistory(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "audit", "testdata", "purchase.history.json"))
	require.NoError(t, err)
	var h historypb.History
	require.NoError(t, protojson.Unmarshal(b, &h))
	keys, err := ParseKeys("k1:" + key(9, 32))
	require.NoError(t, err)
	codec, err := NewCodec(keys)
	require.NoError(t, err)
	require.NoError(t, proxy.VisitPayloads(context.Background(), &h, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
			return codec.Encode(p)
		},
	}))

	replay := func(dc converter.DataConverter) error {
		r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: dc})
		if err != nil {
			return err
		}
		r.RegisterWorkflowWithOptions(workflows.NewInterpreter(definitions.NewEngine()).Run,
			workflow.RegisterOptions{Name: workflows.WorkflowName})
		return r.ReplayWorkflowHistory(nil, &h)
	}
	require.NoError(t, replay(codec.DataConverter()))
	require.Error(t, replay(converter.GetDefaultDataConverter()))
}
