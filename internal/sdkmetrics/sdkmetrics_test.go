package sdkmetrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

func TestHandlerExportsWhatTheSDKEmits(t *testing.T) {
	t.Parallel()
	h := New()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(h))

	ns := h.WithTags(map[string]string{"namespace": "default"})
	ns.Counter("temporal_request").Inc(2)
	ns.WithTags(map[string]string{"operation": "StartWorkflowExecution"}).Counter("temporal_request").Inc(1)
	ns.Counter("temporal_request").Inc(3)
	ns.Gauge("temporal_num_pollers").Update(4)
	ns.Gauge("temporal_num_pollers").Update(2)
	timer := ns.WithTags(map[string]string{"workflow-type": "HandoffRun"}).Timer("temporal_workflow_endtoend_latency")
	timer.Record(20 * time.Millisecond)
	timer.Record(2 * time.Hour)
	ns.Gauge("temporal_request").Update(1) // another kind under a taken name: dropped

	want := `
# HELP temporal_num_pollers Temporal Go SDK metric temporal_num_pollers.
# TYPE temporal_num_pollers gauge
temporal_num_pollers{namespace="default"} 2
# HELP temporal_request Temporal Go SDK metric temporal_request.
# TYPE temporal_request counter
temporal_request{namespace="default",operation=""} 5
temporal_request{namespace="default",operation="StartWorkflowExecution"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want), "temporal_request", "temporal_num_pollers"))

	families, err := reg.Gather()
	require.NoError(t, err)
	var found bool
	for _, f := range families {
		if f.GetName() != "temporal_workflow_endtoend_latency" {
			continue
		}
		found = true
		m := f.GetMetric()[0]
		require.Equal(t, "workflow_type", m.GetLabel()[1].GetName(), "tag names are sanitised")
		require.EqualValues(t, 2, m.GetHistogram().GetSampleCount())
		require.InDelta(t, 7200.02, m.GetHistogram().GetSampleSum(), 1e-6)
	}
	require.True(t, found, "the timer is exported as a histogram")
}

func TestSanitize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"task_queue": "task_queue", "a-b.c": "a_b_c", "1x": "_1x", "": "_"} {
		require.Equal(t, want, sanitize(in))
	}
}
