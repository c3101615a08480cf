package activities

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
)

func TestLogHandlerNamesTheRun(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "test")
	logger.InfoContext(context.Background(), "outside an activity")
	require.NotContains(t, buf.String(), "run_id")

	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	act := func(ctx context.Context) error {
		logger.InfoContext(ctx, "inside", "task_id", "t-1")
		return nil
	}
	env.RegisterActivity(act)
	_, err := env.ExecuteActivity(act)
	require.NoError(t, err)
	require.Contains(t, buf.String(), `"run_id":"default-test-workflow-id"`)
	require.Contains(t, buf.String(), `"task_id":"t-1"`)
	require.Contains(t, buf.String(), `"component":"test"`)
}
