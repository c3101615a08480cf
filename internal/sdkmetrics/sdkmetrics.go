// Package sdkmetrics exposes the Temporal Go SDK's metrics to Prometheus: Handler is a
// client.MetricsHandler that keeps every counter, gauge and timer the SDK emits and is
// also a prometheus.Collector.
//
// The SDK does not promise one tag set per metric name, which Prometheus requires, so the
// series of a name are exported with the union of their tag names (a missing tag is "").
// Counters keep their names (temporal_request, ...); timers become histograms in seconds.
package sdkmetrics

import (
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// Buckets are the timer histogram bounds in seconds: SDK timers range from a poll
// (milliseconds) to a workflow's end-to-end latency (days).
var Buckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400}

type kind int

const (
	counterKind kind = iota
	gaugeKind
	timerKind
)

// store holds every series; one per Handler tree.
type store struct {
	mu       sync.Mutex
	families map[string]*family
}

type family struct {
	kind   kind
	series map[string]*series // key: canonical tags
}

type series struct {
	tags  map[string]string
	value atomic.Uint64 // counter: uint64 count; gauge: float64 bits

	mu      sync.Mutex // timer
	count   uint64
	sum     float64
	buckets []uint64 // per bound, not cumulative
}

// Handler is a client.MetricsHandler and a prometheus.Collector. Register the root
// Handler (from New) with a registry; WithTags derives handlers over the same series.
type Handler struct {
	s    *store
	tags map[string]string
}

var (
	_ client.MetricsHandler = (*Handler)(nil)
	_ prometheus.Collector  = (*Handler)(nil)
)

// New returns an empty root Handler.
func New() *Handler {
	return &Handler{s: &store{families: map[string]*family{}}, tags: map[string]string{}}
}

// WithTags returns a handler whose metrics carry tags on top of h's.
func (h *Handler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[sanitize(k)] = v
	}
	return &Handler{s: h.s, tags: merged}
}

// Counter returns the counter name with h's tags.
func (h *Handler) Counter(name string) client.MetricsCounter {
	s := h.s.get(name, counterKind, h.tags)
	if s == nil {
		return client.MetricsNopHandler.Counter(name)
	}
	return counterFunc(func(n int64) {
		if n > 0 {
			s.value.Add(uint64(n))
		}
	})
}

// Gauge returns the gauge name with h's tags.
func (h *Handler) Gauge(name string) client.MetricsGauge {
	s := h.s.get(name, gaugeKind, h.tags)
	if s == nil {
		return client.MetricsNopHandler.Gauge(name)
	}
	return gaugeFunc(func(v float64) { s.value.Store(math.Float64bits(v)) })
}

// Timer returns the timer name with h's tags.
func (h *Handler) Timer(name string) client.MetricsTimer {
	s := h.s.get(name, timerKind, h.tags)
	if s == nil {
		return client.MetricsNopHandler.Timer(name)
	}
	return timerFunc(s.observe)
}

type (
	counterFunc func(int64)
	gaugeFunc   func(float64)
	timerFunc   func(time.Duration)
)

func (f counterFunc) Inc(n int64)          { f(n) }
func (f gaugeFunc) Update(v float64)       { f(v) }
func (f timerFunc) Record(d time.Duration) { f(d) }
func (s *series) observe(d time.Duration) {
	v := d.Seconds()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	s.sum += v
	if i := sort.SearchFloat64s(Buckets, v); i < len(Buckets) {
		s.buckets[i]++
	}
}

// get returns the series of name and tags, creating it; nil when name is already a
// metric of another kind.
func (st *store) get(name string, k kind, tags map[string]string) *series {
	name = sanitize(name)
	key := canonical(tags)
	st.mu.Lock()
	defer st.mu.Unlock()
	f := st.families[name]
	if f == nil {
		f = &family{kind: k, series: map[string]*series{}}
		st.families[name] = f
	}
	if f.kind != k {
		return nil
	}
	s := f.series[key]
	if s == nil {
		s = &series{tags: tags}
		if k == timerKind {
			s.buckets = make([]uint64, len(Buckets))
		}
		f.series[key] = s
	}
	return s
}

func canonical(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(tags[k])
		b.WriteByte(0)
	}
	return b.String()
}

// sanitize makes a metric or label name valid for Prometheus: letters, digits and '_',
// not starting with a digit.
func sanitize(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, name)
	if name == "" || (name[0] >= '0' && name[0] <= '9') {
		name = "_" + name
	}
	return name
}
