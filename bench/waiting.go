package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// waitingResult is what holding n waiting runs of one form cost.
type waitingResult struct {
	runs                   int     // how many were started (fewer than asked when the budget ran out)
	startRate              float64 // runs/s until every first task was in the inbox
	workerRSS, serverRSS   float64 // MiB added
	inboxP50, inboxP99     float64 // ms
	workerBase, serverBase float64 // MiB before
}

// measureR9 starts n linear runs of each form that all wait on their first task, with a
// fresh worker for each form, and reports the memory they hold in the worker and in the
// in-memory dev server and the inbox latency of their assignees meanwhile.
func (b *bencher) measureR9(ctx context.Context) ([]Figure, error) {
	n := 10_000
	if b.cfg.Short {
		n = 40
	}
	c := newAPIClient(b.s.apiURL, 4)
	owners := userIDs("r9u", 100)
	if err := addUsers(ctx, b.s.db, c, owners, "member", nil); err != nil {
		return nil, fmt.Errorf("R9: %w", err)
	}
	res := map[side]waitingResult{}
	budget := b.dur(90*time.Second, 30*time.Second) // keeps make bench within 20 minutes
	want := n
	for _, sd := range []side{interpreted, handWritten} {
		r, err := b.waitingPhase(ctx, c, owners, sd, n, budget)
		if err != nil {
			return nil, fmt.Errorf("R9: %w", err)
		}
		res[sd] = r
		n = r.runs // the hand-written form holds as many as the interpreted one reached
		b.logf("R9 %-11s %d waiting runs started at %.0f/s: worker +%.0f MiB (from %.0f), server +%.0f MiB (from %.0f), inbox p50 %.2f p99 %.2f ms",
			sd, r.runs, r.startRate, r.workerRSS, r.workerBase, r.serverRSS, r.serverBase, r.inboxP50, r.inboxP99)
	}
	fig := func(id, name, unit string, get func(waitingResult) float64) Figure {
		return Figure{ID: id, Name: name, Unit: unit, Target: "report",
			A: []float64{get(res[interpreted])}, B: []float64{get(res[handWritten])}}
	}
	figs := []Figure{
		fig("R9.worker_rss", fmt.Sprintf("worker memory held by %d waiting runs", res[interpreted].runs), "MiB", func(r waitingResult) float64 { return r.workerRSS }),
		fig("R9.server_rss", fmt.Sprintf("dev-server memory added by %d waiting runs", res[interpreted].runs), "MiB", func(r waitingResult) float64 { return r.serverRSS }),
		fig("R9.inbox.p50", "inbox read meanwhile, p50", "ms", func(r waitingResult) float64 { return r.inboxP50 }),
		fig("R9.inbox.p99", "inbox read meanwhile, p99", "ms", func(r waitingResult) float64 { return r.inboxP99 }),
		fig("R9.start", "start rate until every first task is in the inbox", "runs/s", func(r waitingResult) float64 { return r.startRate }),
	}
	figs[0].Note = "resident memory of a fresh worker process before and after (every run in the sticky cache, default 10,000)"
	if res[interpreted].runs < want || res[handWritten].runs < res[interpreted].runs {
		figs[0].Note += fmt.Sprintf("; only %d and %d of %d runs started within the %s start budget per form (the machine was busy)",
			res[interpreted].runs, res[handWritten].runs, want, budget)
	}
	figs[1].Note = "resident memory of the in-memory dev server before and after; the hand-written runs are added on top " +
		"of the interpreted ones, which keep waiting"
	figs[2].Note = fmt.Sprintf("GET /v1/tasks?assignee=me for 100 assignees holding about %d open tasks each", max(res[interpreted].runs/100, 1))
	return figs, nil
}

// waitingPhase restarts the worker, starts up to n runs of one form (as many as the budget
// allows) and measures once every started run's first task is in the inbox.
func (b *bencher) waitingPhase(ctx context.Context, c *apiClient, owners []string, sd side, n int, budget time.Duration) (waitingResult, error) {
	var r waitingResult
	if err := b.s.restartWorker(ctx); err != nil {
		return r, err
	}
	serverPID, err := b.s.serverPID()
	if err != nil {
		return r, err
	}
	w0, err1 := b.s.worker.rss()
	s0, err2 := processRSS(serverPID)
	if err1 != nil || err2 != nil {
		return r, fmt.Errorf("read memory: %v %v", err1, err2)
	}
	sc := b.scenarios["linear"]
	prefix := fmt.Sprintf("%s-r9-%s-", sc.key(), sd)
	// Runs are started in batches, each waited for until its first tasks are in the inbox,
	// so the worker never lags far behind and the budget bounds the whole phase.
	began := time.Now()
	for r.runs < n && time.Since(began) < budget {
		k := min(waitingBatch, n-r.runs)
		if err := b.startMany(ctx, sc, sd, owners, prefix, r.runs, k); err != nil {
			return r, err
		}
		r.runs += k
		err := poll(ctx, 5*time.Minute, fmt.Sprintf("%d open %s tasks", r.runs, sd), func() (bool, error) {
			var open int
			err := b.s.db.Pool().QueryRow(ctx, `SELECT count(*) FROM tasks WHERE status = 'open' AND run_id LIKE $1`,
				prefix+"%").Scan(&open)
			return open >= r.runs, err
		})
		if err != nil {
			return r, err
		}
	}
	n = r.runs
	r.startRate = float64(n) / time.Since(began).Seconds()
	w1, err1 := b.s.worker.rss()
	s1, err2 := processRSS(serverPID)
	if err1 != nil || err2 != nil {
		return r, fmt.Errorf("read memory: %v %v", err1, err2)
	}
	const mib = 1 << 20
	r.workerBase, r.serverBase = float64(w0)/mib, float64(s0)/mib
	r.workerRSS, r.serverRSS = float64(w1-w0)/mib, float64(s1-s0)/mib
	lat, err := b.readInboxes(ctx, c, owners, b.dur(3*time.Second, time.Second))
	if err != nil {
		return r, err
	}
	r.inboxP50, r.inboxP99 = percentile(lat, 50), percentile(lat, 99)
	return r, nil
}

// waitingBatch is how many runs R9 starts before waiting for their first tasks.
const waitingBatch = 250

// startMany starts runs from..from+count-1 from 20 goroutines, without waiting for them
// to settle.
func (b *bencher) startMany(ctx context.Context, sc *scenario, sd side, owners []string, prefix string, from, count int) error {
	return startEach(from, count, func(i int) error {
		opts, name, input := b.d.startArgs(sc, sd, owners[i%len(owners)], fmt.Sprintf("%s%d", prefix, i))
		if _, err := b.s.tc.ExecuteWorkflow(ctx, opts, name, input); err != nil {
			return fmt.Errorf("start %s: %w", opts.ID, err)
		}
		return nil
	})
}

// startEach calls start for from..from+count-1 from 20 goroutines and returns the first
// error; after one, no further start begins.
func startEach(from, count int, start func(i int) error) error {
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		firstErr atomic.Value
	)
	next.Store(int64(from))
	for range 20 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < from+count && firstErr.Load() == nil; i = int(next.Add(1)) - 1 {
				if err := start(i); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return err
	}
	return nil
}

// readInboxes reads the owners' inboxes through the API in one closed loop for d.
func (b *bencher) readInboxes(ctx context.Context, c *apiClient, owners []string, d time.Duration) ([]float64, error) {
	lat := newLatencies()
	deadline := time.Now().Add(d)
	for i := 0; time.Now().Before(deadline); i++ {
		t0 := time.Now()
		var out inboxJSON
		if _, err := c.do(ctx, owners[i%len(owners)], "GET", "/v1/tasks?assignee=me&status=open", nil, &out); err != nil {
			lat.done()
			return nil, err
		}
		lat.add(time.Since(t0))
	}
	return lat.done(), nil
}
