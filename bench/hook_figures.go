package bench

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/workflowservice/v1"
)

// measureR6 sends signed webhooks that each start a run: latency at a low rate, then a
// sweep of doubling rates, A and B alternating, up to the last rate each sustains (every
// delivery acknowledged with p99 ≤ 1 s, every acknowledged run started exactly once). In
// the full run the interpreted knee is then held for 60 s.
func (b *bencher) measureR6(ctx context.Context) ([]Figure, error) {
	a, bl, stop, err := b.hookEndpoints(ctx)
	if err != nil {
		return nil, fmt.Errorf("R6: %w", err)
	}
	defer stop()
	eps := map[side]hookEndpoint{interpreted: a, handWritten: bl}
	p50 := Figure{ID: "R6.p50", Name: "signed webhook → run started, p50", Unit: "ms", Target: "report"}
	p99 := Figure{ID: "R6.p99", Name: "signed webhook → run started, p99", Unit: "ms", Target: "report"}
	knee := Figure{ID: "R6.knee", Name: "highest webhook rate sustained", Unit: "/s",
		Target: "report the knee; zero lost, zero duplicates"}
	low, step := 10.0, b.dur(8*time.Second, 2*time.Second)
	rates := []float64{10, 20, 40, 80, 160, 320}
	if b.cfg.Short {
		low, rates = 5, nil // the knee is the low rate, if it holds
	}
	seq := 0
	phase := func(sd side, rate float64, d time.Duration) (*hookResult, error) {
		seq++
		res, err := b.hookPhase(ctx, eps[sd], fmt.Sprintf("r6-%s-%d-", sd, seq), rate, d)
		if err != nil {
			return nil, err
		}
		// The runs started keep the worker busy for a while: let them finish, so the
		// next phase (of the other form) does not pay for this one's backlog.
		if err := b.drain(ctx, "bench-hook"); err != nil {
			return nil, err
		}
		b.logf("R6 %-11s %5.0f/s for %s: %d acked, %d failed, %d overflow, p50 %.1f p99 %.1f ms, %d redelivered, %d lost, %d duplicates %s",
			sd, rate, d, res.acked, res.failed, res.overflow, percentile(res.latencies, 50), percentile(res.latencies, 99),
			res.redelivered, res.lost, res.duplicates, res.firstFailure)
		return res, nil
	}
	lost, dups := 0, 0
	best, failed := map[side]float64{}, map[side]bool{}
	for range b.reps(3) {
		for _, sd := range []side{interpreted, handWritten} {
			res, err := phase(sd, low, step)
			if err != nil {
				return nil, fmt.Errorf("R6: %w", err)
			}
			lost, dups = lost+res.lost, dups+res.duplicates
			add(&p50, sd, percentile(res.latencies, 50))
			add(&p99, sd, percentile(res.latencies, 99))
			if b.cfg.Short && res.sustained() {
				best[sd] = low
			}
		}
	}
	for _, rate := range rates {
		for _, sd := range []side{interpreted, handWritten} {
			if failed[sd] {
				continue // this side already failed a lower rate
			}
			res, err := phase(sd, rate, step)
			if err != nil {
				return nil, fmt.Errorf("R6: %w", err)
			}
			lost, dups = lost+res.lost, dups+res.duplicates
			if res.sustained() {
				best[sd] = rate
			} else {
				failed[sd] = true
			}
		}
	}
	kneeA, kneeB := best[interpreted], best[handWritten]
	confirmed := "swept in " + step.String() + " steps"
	if !b.cfg.Short && kneeA > 0 {
		res, err := phase(interpreted, kneeA, 60*time.Second)
		if err != nil {
			return nil, fmt.Errorf("R6: %w", err)
		}
		lost, dups = lost+res.lost, dups+res.duplicates
		confirmed = "held for 60 s"
		if !res.sustained() {
			confirmed = "NOT held for 60 s: the sustained rate is below it"
		}
	}
	knee.A, knee.B = []float64{kneeA}, []float64{kneeB}
	ok := lost == 0 && dups == 0
	knee.check = func(float64, float64) bool { return ok }
	knee.Note = fmt.Sprintf("doubling rates from %.0f/s; a rate is sustained when every delivery is acknowledged "+
		"(202) with p99 ≤ 1 s and every acknowledged run exists exactly once (1 in 10 deliveries is a redelivery "+
		"that must answer duplicate with the same run); interpreted knee %s; over all phases %d lost, %d duplicates. "+
		"Baseline: a hand-written net/http receiver (same signature check, same delivery table, ExecuteWorkflow "+
		"of the hand-written workflow)", low, confirmed, lost, dups)
	p50.Note = fmt.Sprintf("at %.0f deliveries/s, from the scheduled send time to the 202", low)
	return []Figure{p50, p99, knee}, nil
}

// drain waits (up to five minutes) until no run of the definition is running.
func (b *bencher) drain(ctx context.Context, key string) error {
	query := fmt.Sprintf("ExecutionStatus = 'Running' AND HandoffDefinition = '%s'", key)
	return pollEvery(ctx, 5*time.Minute, 250*time.Millisecond, "the "+key+" runs to finish", func() (bool, error) {
		resp, err := b.s.tc.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		return err == nil && resp.GetCount() == 0, err
	})
}

// add appends v to the figure's side.
func add(f *Figure, sd side, v float64) {
	if sd == interpreted {
		f.A = append(f.A, v)
	} else {
		f.B = append(f.B, v)
	}
}
