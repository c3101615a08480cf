package bench

import (
	"math"
	"slices"
	"time"
)

// median of xs (0 when empty).
func median(xs []float64) float64 { return percentile(xs, 50) }

// percentile is the nearest-rank percentile p (0–100) of xs (0 when empty).
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(rank, 0), len(s)-1)]
}

// spread is the smallest and largest of xs.
func spread(xs []float64) (lo, hi float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	return slices.Min(xs), slices.Max(xs)
}

// ratios divides a by b pairwise (repetition i of A by repetition i of B).
func ratios(a, b []float64) []float64 {
	out := make([]float64, 0, min(len(a), len(b)))
	for i := range min(len(a), len(b)) {
		if b[i] != 0 {
			out = append(out, a[i]/b[i])
		}
	}
	return out
}

// ms converts durations to milliseconds.
func ms(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d) / float64(time.Millisecond)
	}
	return out
}

// latencies collects durations safely from several goroutines.
type latencies struct {
	ch  chan time.Duration
	all []time.Duration
	end chan struct{}
}

func newLatencies() *latencies {
	l := &latencies{ch: make(chan time.Duration, 1024), end: make(chan struct{})}
	go func() {
		for d := range l.ch {
			l.all = append(l.all, d)
		}
		close(l.end)
	}()
	return l
}

func (l *latencies) add(d time.Duration) { l.ch <- d }

// done stops collecting and returns the latencies in milliseconds.
func (l *latencies) done() []float64 {
	close(l.ch)
	<-l.end
	return ms(l.all)
}
