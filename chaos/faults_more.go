package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/handoffhq/handoff/workflows"
)

// dueDatesAcrossDowntime (F10): runs wait on tasks due in 3 s with an escalation 2 s
// later; the worker and Temporal are both killed before the deadline and stay down past
// both; after the restart each task goes overdue once and escalates once, never early.
func dueDatesAcrossDowntime(ctx context.Context, s *suite) (outcome, error) {
	const n = 10
	runs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { runs[i], _ = s.d.startRun(ctx, "F10", "chaos-due") })
	}
	wg.Wait()
	for _, r := range runs {
		if r == "" {
			return outcome{}, errors.New("a chaos-due run could not be started")
		}
		s.led.markMustFire(r)
	}
	if err := s.stack.worker.kill(); err != nil {
		return outcome{}, err
	}
	if err := s.stack.temporal.kill(); err != nil {
		return outcome{}, err
	}
	sleep(ctx, 8*time.Second) // past due (3 s) and the escalation (2 s after)
	restarted := time.Now()
	if err := s.stack.startTemporal(ctx); err != nil {
		return outcome{}, err
	}
	if err := s.stack.startWorker(ctx); err != nil {
		return outcome{}, err
	}
	err := waitFor(ctx, time.Minute, "every escalation to fire", func() bool { return s.escalated(ctx, runs) })
	if err != nil {
		return outcome{}, err
	}
	rec := time.Since(restarted)
	bulk(n, runs, func(r string) { s.d.drive(ctx, "F10", r) })
	return outcome{recovery: rec, notes: []string{
		fmt.Sprintf("%d runs; worker and Temporal down 8 s across due + escalation; recovery is restart → last escalation", n)}}, nil
}

// escalated reports whether every run's history holds an escalation.
func (s *suite) escalated(ctx context.Context, runs []string) bool {
	for _, r := range runs {
		h, err := readHistory(ctx, s.stack.tc, r)
		if err != nil || !hasJournal(h, workflows.JournalEscalation) {
			return false
		}
	}
	return true
}

func hasJournal(h runHistory, kind string) bool {
	for _, sy := range h.syncs {
		for _, j := range sy.Journal {
			if j.Kind == kind {
				return true
			}
		}
	}
	return false
}

// cachePressure (F11): the worker keeps 8 runs in its sticky cache while 1,000 runs are
// open and their tasks are completed in random order, so nearly every workflow task
// replays its run from history.
func cachePressure(ctx context.Context, s *suite) (outcome, error) {
	const n = 1000
	if err := s.restartWorker(ctx, "HANDOFF_STICKY_CACHE_SIZE=8"); err != nil {
		return outcome{}, err
	}
	began := time.Now()
	runs := make([]string, n)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	bulk(16, idx, func(i int) { runs[i], _ = s.d.startRun(ctx, "F11", "chaos-one") })
	opened := time.Since(began)
	rand.Shuffle(n, func(i, j int) { runs[i], runs[j] = runs[j], runs[i] })
	var done atomic.Int64
	bulk(16, runs, func(r string) {
		if r != "" && s.d.drive(ctx, "F11", r) {
			done.Add(1)
		}
	})
	completed := time.Since(began) - opened
	if err := s.restartWorker(ctx); err != nil {
		return outcome{}, err
	}
	return outcome{notes: []string{fmt.Sprintf("%d runs opened in %s, %d completed in random order in %s",
		n, opened.Round(time.Second), done.Load(), completed.Round(time.Second))}}, nil
}

// restartWorker stops the worker gracefully and starts it with extra settings.
func (s *suite) restartWorker(ctx context.Context, extra ...string) error {
	if err := s.stack.worker.stop(); err != nil {
		return err
	}
	return s.stack.startWorker(ctx, extra...)
}

// networkTrouble (F12): every byte between the worker and Temporal is held 50 ms, and
// every connection is cut every 3 s, for 12 s under load.
func networkTrouble(ctx context.Context, s *suite) (outcome, error) {
	l := s.d.startLoad(ctx, "F12", sessions, everyWay...)
	sleep(ctx, 3*time.Second)
	s.stack.proxy.setDelay(50 * time.Millisecond)
	for range 4 {
		sleep(ctx, 3*time.Second)
		s.stack.proxy.cut()
	}
	s.stack.proxy.setDelay(0)
	healed := time.Now()
	rec, ok := s.d.probe(ctx, "F12", healed, time.Minute)
	if !ok {
		return outcome{}, errors.New("no probe succeeded within a minute of healing the network")
	}
	sleep(ctx, 3*time.Second)
	started, finished := l.finish(drainLimit)
	return outcome{recovery: rec, notes: []string{fmt.Sprintf("50 ms per chunk each way, 4 cuts in 12 s; %d runs started, %d finished",
		started, finished)}}, nil
}

// overload (F13): measure the knee (run starts per second with 4 clients at a time),
// then offer 3× that rate, open loop, for 20 s. Every start is acknowledged (201),
// shed (503/429) or unanswered, never acknowledged and then lost; afterwards every
// acknowledged run is driven to its end.
func overload(ctx context.Context, s *suite) (outcome, error) {
	began := time.Now()
	var runs []string
	var mu sync.Mutex
	keep := func(r string) {
		mu.Lock()
		defer mu.Unlock()
		runs = append(runs, r)
	}
	kneeCtx, stop := context.WithTimeout(ctx, 6*time.Second)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for kneeCtx.Err() == nil {
				if r, ok := s.d.startRun(ctx, "F13", "chaos-one"); ok {
					keep(r)
				}
			}
		})
	}
	wg.Wait()
	stop()
	knee := float64(len(runs)) / time.Since(began).Seconds()
	rate := 3 * knee
	tally := s.offer(ctx, rate, 20*time.Second, keep)
	bulk(8, runs, func(r string) { s.d.drive(ctx, "F13", r) })
	return outcome{notes: []string{fmt.Sprintf("knee %.1f starts/s; offered %.1f/s for 20 s: %s", knee, rate, tally)}}, nil
}

// offer sends run starts at rate per second for d, open loop, each tried once, at most
// 512 at a time; it returns what came back.
func (s *suite) offer(ctx context.Context, rate float64, d time.Duration, keep func(string)) string {
	var acked, shed, failed, skipped atomic.Int64
	slots := make(chan struct{}, 512)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	end := time.After(d)
	for {
		select {
		case <-end:
			wg.Wait()
			return fmt.Sprintf("%d acknowledged, %d shed (503/429), %d failed or unanswered, %d not sent (client at 512)",
				acked.Load(), shed.Load(), failed.Load(), skipped.Load())
		case <-ctx.Done():
			wg.Wait()
			return "interrupted"
		case <-tick.C:
		}
		select {
		case slots <- struct{}{}:
		default:
			skipped.Add(1)
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			bk := s.d.next("F13")
			a := s.d.api.call(ctx, "alice", "POST", "/v1/runs", map[string]any{"definition": "chaos-one",
				"inputs": map[string]any{"title": bk}, "business_key": bk}, nil)
			switch a.status {
			case http.StatusCreated:
				acked.Add(1)
				s.led.add(op{fault: "F13", kind: opStart, run: a.str("id"), businessKey: bk})
				keep(a.str("id"))
			case http.StatusServiceUnavailable, http.StatusTooManyRequests:
				shed.Add(1)
			default:
				failed.Add(1)
			}
		})
	}
}
