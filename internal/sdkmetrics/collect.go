package sdkmetrics

import (
	"math"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// Describe sends nothing: the SDK's metrics are only known once emitted, so the Handler
// is an unchecked collector.
func (h *Handler) Describe(chan<- *prometheus.Desc) {}

// Collect exports every series the SDK has emitted.
func (h *Handler) Collect(ch chan<- prometheus.Metric) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	for name, f := range h.s.families {
		labels := f.labelNames()
		desc := prometheus.NewDesc(name, "Temporal Go SDK metric "+name+".", labels, nil)
		for _, s := range f.series {
			values := make([]string, len(labels))
			for i, l := range labels {
				values[i] = s.tags[l]
			}
			// A series Prometheus cannot represent is left out rather than failing the scrape.
			if m, err := s.metric(f.kind, desc, values); err == nil {
				ch <- m
			}
		}
	}
}

// labelNames is the sorted union of the tag names of the family's series.
func (f *family) labelNames() []string {
	var names []string
	for _, s := range f.series {
		for k := range s.tags {
			if !slices.Contains(names, k) {
				names = append(names, k)
			}
		}
	}
	slices.Sort(names)
	return names
}

func (s *series) metric(k kind, desc *prometheus.Desc, values []string) (prometheus.Metric, error) {
	switch k {
	case counterKind:
		return prometheus.NewConstMetric(desc, prometheus.CounterValue, float64(s.value.Load()), values...)
	case gaugeKind:
		return prometheus.NewConstMetric(desc, prometheus.GaugeValue, math.Float64frombits(s.value.Load()), values...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cumulative := make(map[float64]uint64, len(Buckets))
	var running uint64
	for i, bound := range Buckets {
		running += s.buckets[i]
		cumulative[bound] = running
	}
	return prometheus.NewConstHistogram(desc, s.count, s.sum, cumulative, values...)
}
