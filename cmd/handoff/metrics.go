package main

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.temporal.io/sdk/client"

	"github.com/handoffhq/handoff/internal/sdkmetrics"
)

// MetricsOn reports whether HANDOFF_METRICS asks for metrics.
func (c Config) MetricsOn() bool { return c.Metrics != "off" }

func (c Config) validateMetrics() error {
	switch c.Metrics {
	case "", "on", "off":
		return nil
	}
	return fmt.Errorf("HANDOFF_METRICS must be on or off, not %q", c.Metrics)
}

// newMetrics is the process's Prometheus registry (Go runtime, process, Temporal SDK) and
// the SDK's metrics handler feeding it; both nil when metrics are off.
func newMetrics(c Config) (*prometheus.Registry, client.MetricsHandler, error) {
	if !c.MetricsOn() {
		return nil, nil, nil
	}
	reg := prometheus.NewRegistry()
	sdk := sdkmetrics.New()
	for _, col := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		sdk,
	} {
		if err := reg.Register(col); err != nil {
			return nil, nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return reg, sdk, nil
}
