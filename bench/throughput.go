package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// concurrency is R2's fixed number of runs in flight (the smoke run uses 4, to finish fast).
func (b *bencher) concurrency() int {
	if b.cfg.Short {
		return 4
	}
	return 20
}

// phaseResult is what one closed-loop phase measured.
type phaseResult struct {
	runs, steps int64
	elapsed     time.Duration
	workerCPU   time.Duration
	serverCPU   time.Duration
}

// runPhase keeps b.concurrency() runs of the scenario going until d has passed, lets the
// runs in flight finish, and reports throughput and the worker's CPU time over the phase.
func (b *bencher) runPhase(ctx context.Context, sc *scenario, sd side, d time.Duration) (phaseResult, error) {
	res, err := b.loadPhase(ctx, d, func(ctx context.Context, owner string) (int, error) {
		_, steps, err := b.d.drive(ctx, sc, sd, owner)
		return steps, err
	})
	if err != nil {
		return res, fmt.Errorf("%s phase: %w", sd, err)
	}
	return res, nil
}

// loadPhase keeps b.concurrency() loops calling drive (one run to its end, returning
// the tasks it completed) until d has passed, lets the runs in flight finish, and
// reports throughput and the worker's and dev server's CPU time over the phase.
func (b *bencher) loadPhase(ctx context.Context, d time.Duration, drive func(ctx context.Context, owner string) (int, error)) (phaseResult, error) {
	cpu0, err := b.s.worker.cpu()
	if err != nil {
		return phaseResult{}, err
	}
	serverPID, err := b.s.serverPID()
	if err != nil {
		return phaseResult{}, err
	}
	srv0, err := processCPU(serverPID)
	if err != nil {
		return phaseResult{}, err
	}
	start := time.Now()
	deadline := start.Add(d)
	var (
		res      phaseResult
		wg       sync.WaitGroup
		firstErr atomic.Value
	)
	for i := range b.concurrency() {
		wg.Go(func() {
			owner := fmt.Sprintf("u%d", i)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				steps, err := drive(ctx, owner)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				atomic.AddInt64(&res.runs, 1)
				atomic.AddInt64(&res.steps, int64(steps))
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	if err, ok := firstErr.Load().(error); ok {
		return res, err
	}
	cpu1, err := b.s.worker.cpu()
	if err != nil {
		return res, err
	}
	srv1, err := processCPU(serverPID)
	if err != nil {
		return res, err
	}
	res.workerCPU, res.serverCPU = cpu1-cpu0, srv1-srv0
	return res, nil
}

// measureR2R3 alternates closed-loop phases of the linear process at concurrency 20:
// completed runs per second (R2) and worker CPU seconds per completed step (R3). It also
// returns the interpreted saturation rate in completions per second, for R4.
func (b *bencher) measureR2R3(ctx context.Context) ([]Figure, float64, error) {
	sc := b.scenarios["linear"]
	phase := b.dur(15*time.Second, 2*time.Second)
	r2 := Figure{ID: "R2", Name: "completed runs/s at concurrency 20 (linear)", Unit: "runs/s", Target: "ratio ≥ 0.90",
		check: func(_, r float64) bool { return r >= 0.90 }}
	r3 := Figure{ID: "R3", Name: "worker CPU per completed step", Unit: "ms", Target: "ratio ≤ 1.25", check: ratioAtMost(1.25)}
	r3s := Figure{ID: "R3.server", Name: "dev-server CPU per completed step", Unit: "ms", Target: "report"}
	var completions []float64
	if !b.cfg.Short {
		for _, sd := range []side{interpreted, handWritten} { // warm caches and connections, unmeasured
			if _, err := b.runPhase(ctx, sc, sd, 3*time.Second); err != nil {
				return nil, 0, err
			}
		}
	}
	for rep := range b.reps(5) {
		for _, sd := range []side{interpreted, handWritten} {
			stopProfile := b.profileWorker(ctx, rep, "worker-"+sd.String(), phase)
			res, err := b.runPhase(ctx, sc, sd, phase)
			stopProfile()
			if err != nil {
				return nil, 0, fmt.Errorf("R2: %w", err)
			}
			rate := float64(res.runs) / res.elapsed.Seconds()
			cpuPerStep := float64(res.workerCPU) / float64(time.Millisecond) / float64(max(res.steps, 1))
			add(&r3s, sd, float64(res.serverCPU)/float64(time.Millisecond)/float64(max(res.steps, 1)))
			if sd == interpreted {
				r2.A, r3.A = append(r2.A, rate), append(r3.A, cpuPerStep)
				completions = append(completions, float64(res.steps)/res.elapsed.Seconds())
			} else {
				r2.B, r3.B = append(r2.B, rate), append(r3.B, cpuPerStep)
			}
			b.logf("R2 %-11s %5d runs in %5.1fs: %6.1f runs/s, worker %.2f ms CPU/step, server %.2f ms CPU/step", sd,
				res.runs, res.elapsed.Seconds(), rate, cpuPerStep, float64(res.serverCPU)/float64(time.Millisecond)/float64(max(res.steps, 1)))
		}
	}
	r2.Note = "driven through the Temporal SDK client as the API drives it (UpdateWithStart settle, one complete Update per task)"
	r3.Note = "worker process CPU (user+system, /proc) over the phase divided by the tasks completed in it"
	return []Figure{r2, r3, r3s}, median(completions), nil
}

// profileWorker fetches a CPU profile of the worker during the first repetition's phase
// into BENCH_PROFILE/<name>.pprof, when BENCH_PROFILE is set; the returned function waits
// for it.
func (b *bencher) profileWorker(ctx context.Context, rep int, name string, phase time.Duration) func() {
	if b.cfg.ProfileDir == "" || rep != 0 || phase < 3*time.Second {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		path := filepath.Join(b.cfg.ProfileDir, name+".pprof")
		if err := b.s.worker.profile(ctx, phase-time.Second, path); err != nil {
			b.logf("profile: %v", err)
		}
	}()
	return func() { <-done }
}

// dur is the full or the smoke-run duration.
func (b *bencher) dur(full, short time.Duration) time.Duration {
	if b.cfg.Short {
		return short
	}
	return full
}
