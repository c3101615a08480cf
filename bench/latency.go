package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/workflows"
)

// slot is one assignee working through their own run, one task at a time.
type slot struct {
	owner, task string
}

// latencyResult is what one R4 phase measured, in milliseconds.
type latencyResult struct {
	update, lag, total []float64
	missed             int64
}

// measureR4 completes tasks through the API at half the interpreted saturation rate
// (R2's completions per second), an open model, and measures for each completion the
// Update round trip (POST /v1/tasks/{id}/complete) and the projection lag (until the next
// task shows up in GET /v1/tasks for its assignee).
func (b *bencher) measureR4(ctx context.Context, saturation float64) ([]Figure, error) {
	sc := b.scenarios["linear"]
	if _, _, err := api.Publish(ctx, b.s.db, sc.source, "bench"); err != nil {
		return nil, fmt.Errorf("R4: publish: %w", err)
	}
	rate := max(b.r4Rate(saturation), 1)
	phase := b.dur(12*time.Second, 2*time.Second)
	total := Figure{ID: "R4.p50", Name: "completion → next task in inbox, p50", Unit: "ms", Target: "ratio ≤ 1.10",
		check: func(_, r float64) bool { return r <= 1.10 }}
	total99 := Figure{ID: "R4.p99", Name: "completion → next task in inbox, p99", Unit: "ms", Target: "ratio ≤ 1.25",
		check: func(_, r float64) bool { return r <= 1.25 }}
	upd := Figure{ID: "R4.update.p50", Name: "Update round trip (API answer), p50", Unit: "ms", Target: "report"}
	upd99 := Figure{ID: "R4.update.p99", Name: "Update round trip (API answer), p99", Unit: "ms", Target: "report"}
	lag := Figure{ID: "R4.lag.p50", Name: "projection lag after the answer, p50", Unit: "ms", Target: "report"}
	lag99 := Figure{ID: "R4.lag.p99", Name: "projection lag after the answer, p99", Unit: "ms", Target: "report"}
	var missed int64
	for rep := range b.reps(5) {
		for _, sd := range []side{interpreted, handWritten} {
			res, err := b.latencyPhase(ctx, sc, sd, fmt.Sprintf("r4-%d-%s-", rep, sd), rate, phase)
			if err != nil {
				return nil, fmt.Errorf("R4: %w", err)
			}
			missed += res.missed
			vals := []float64{percentile(res.total, 50), percentile(res.total, 99), percentile(res.update, 50),
				percentile(res.update, 99), percentile(res.lag, 50), percentile(res.lag, 99)}
			for i, f := range []*Figure{&total, &total99, &upd, &upd99, &lag, &lag99} {
				if sd == interpreted {
					f.A = append(f.A, vals[i])
				} else {
					f.B = append(f.B, vals[i])
				}
			}
			b.logf("R4 %-11s %4d completions at %.1f/s: total p50 %.1f p99 %.1f ms, update p50 %.1f, lag p50 %.2f ms",
				sd, len(res.total), rate, vals[0], vals[1], vals[2], vals[4])
		}
	}
	how := "half the interpreted saturation of R2"
	if b.cfg.R4Rate > 0 {
		how = "BENCH_R4_RATE"
	}
	total.Note = fmt.Sprintf("open model at %.1f completions/s (%s), 40 assignees each "+
		"on their own run; lag is measured from the API's answer to the first GET /v1/tasks that lists the next task "+
		"(one GET round trip when it is already there); %d ticks found every assignee busy", rate, how, missed)
	return []Figure{total, total99, upd, upd99, lag, lag99}, nil
}

// latencyPhase runs one open-model phase.
func (b *bencher) latencyPhase(ctx context.Context, sc *scenario, sd side, prefix string, rate float64, d time.Duration) (latencyResult, error) {
	c := newAPIClient(b.s.apiURL, 64)
	owners := userIDs(prefix, 40)
	if err := addUsers(ctx, b.s.db, c, owners, "member", nil); err != nil {
		return latencyResult{}, err
	}
	idle := make(chan *slot, len(owners))
	for _, o := range owners {
		sl := &slot{owner: o}
		if err := b.startFor(ctx, c, sc, sd, sl); err != nil {
			return latencyResult{}, err
		}
		idle <- sl
	}
	upd, lag, tot := newLatencies(), newLatencies(), newLatencies()
	var (
		wg       sync.WaitGroup
		missed   int64
		firstErr atomic.Value
	)
	interval := time.Duration(float64(time.Second) / rate)
	deadline := time.Now().Add(d)
	for next := time.Now(); next.Before(deadline) && firstErr.Load() == nil; next = next.Add(interval) {
		time.Sleep(time.Until(next))
		select {
		case sl := <-idle:
			wg.Go(func() {
				if err := b.completeAndSee(ctx, c, sc, sd, sl, upd, lag, tot); err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
				idle <- sl
			})
		default:
			missed++
		}
	}
	wg.Wait()
	res := latencyResult{update: upd.done(), lag: lag.done(), total: tot.done(), missed: missed}
	if err, ok := firstErr.Load().(error); ok {
		return res, err
	}
	return res, nil
}

// startFor starts a run for the slot's owner: the interpreted one through POST /v1/runs,
// the hand-written one through the SDK as the API would (the API starts only the interpreter).
func (b *bencher) startFor(ctx context.Context, c *apiClient, sc *scenario, sd side, sl *slot) error {
	if sd == handWritten {
		r, err := b.d.start(ctx, sc, sd, sl.owner)
		if err != nil {
			return err
		}
		sl.task = r.open[0].ID
		return nil
	}
	var out struct {
		OpenTasks []taskJSON `json:"open_tasks"`
	}
	body := map[string]any{"definition": sc.key(), "inputs": map[string]any{"owner": sl.owner, "title": "Order " + sl.owner}}
	if _, err := c.do(ctx, sl.owner, "POST", "/v1/runs", body, &out); err != nil {
		return err
	}
	if len(out.OpenTasks) == 0 {
		return errors.New("a new run opened no task")
	}
	sl.task = out.OpenTasks[0].ID
	return nil
}

// completeAndSee completes the slot's task through the API and waits until the next one
// is in the owner's inbox; after the last task it starts a new run (unmeasured).
func (b *bencher) completeAndSee(ctx context.Context, c *apiClient, sc *scenario, sd side, sl *slot, upd, lag, tot *latencies) error {
	data, _ := sc.answer("")
	var res completeJSON
	t0 := time.Now()
	if _, err := c.do(ctx, sl.owner, "POST", "/v1/tasks/"+sl.task+"/complete", map[string]any{"data": data}, &res); err != nil {
		return err
	}
	t1 := time.Now()
	upd.add(t1.Sub(t0))
	if res.Run.Status != workflows.StatusRunning {
		return b.startFor(ctx, c, sc, sd, sl)
	}
	if len(res.Run.OpenTasks) == 0 {
		return fmt.Errorf("run of %s answered with no open task", sl.task)
	}
	next := res.Run.OpenTasks[0].ID
	for {
		var inbox inboxJSON
		if _, err := c.do(ctx, sl.owner, "GET", "/v1/tasks?assignee=me&status=open", nil, &inbox); err != nil {
			return err
		}
		if slices.ContainsFunc(inbox.Tasks, func(t taskJSON) bool { return t.ID == next }) {
			break
		}
		if time.Since(t1) > 30*time.Second {
			return fmt.Errorf("task %s never showed up in %s's inbox", next, sl.owner)
		}
		time.Sleep(time.Millisecond)
	}
	t2 := time.Now()
	lag.add(t2.Sub(t1))
	tot.add(t2.Sub(t0))
	sl.task = next
	return nil
}
