package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/internal/testenv"
)

// TestWorkerLogsItsTaskQueue: `handoff worker` says which task queue it polls: the
// configured HANDOFF_TASK_QUEUE, not the default name.
func TestWorkerLogsItsTaskQueue(t *testing.T) {
	tmp := testenv.Temporal(t)
	queue := "handoff-queue-" + randomSuffix()
	logs := &logBuffer{}
	m := &Main{Config: Config{DatabaseURL: testenv.DatabaseURL(t), TemporalAddress: tmp.HostPort,
		TemporalNamespace: tmp.Namespace, TaskQueue: queue, LogLevel: "info", LogFormat: "text", Metrics: "off"},
		Logger: slog.New(slog.NewTextHandler(logs, nil)), Worker: true, Migrate: true}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runUntilSignal(ctx, m) }()
	eventually(t, func() bool { return strings.Contains(logs.String(), "worker polling") }, "the worker says it polls")
	cancel()
	require.NoError(t, <-done)
	require.Contains(t, logs.String(), "task_queue="+queue)
}
