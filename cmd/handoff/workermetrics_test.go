package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/internal/testenv"
)

// TestWorkerMetrics: a process that runs only the worker serves GET /metrics with the
// Temporal SDK's metrics on its own listener.
func TestWorkerMetrics(t *testing.T) {
	tmp := testenv.Temporal(t)
	m := &Main{Config: Config{DatabaseURL: testenv.DatabaseURL(t), TemporalAddress: tmp.HostPort,
		TemporalNamespace: tmp.Namespace, TaskQueue: "handoff-test-" + randomSuffix(), LogLevel: "warn",
		LogFormat: "text", Metrics: "on", MetricsAddr: "127.0.0.1:0"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Worker: true, Migrate: true}
	require.NoError(t, m.Run(context.Background()))
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	require.NotEmpty(t, m.metricsAddr)
	eventually(t, func() bool {
		res, err := http.Get("http://" + m.metricsAddr + "/metrics")
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode == http.StatusOK && strings.Contains(string(b), "temporal_")
	}, "the worker's metrics include the Temporal SDK's")
	req, err := http.NewRequest("GET", "http://"+m.metricsAddr+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Contains(t, res.Header.Get("Content-Type"), "application/openmetrics-text", "the same handler as the API's")
}
