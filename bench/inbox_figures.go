package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"
)

// measureR5 seeds 1M tasks (100k open) and reads 50-row inboxes: at one connection
// (p50, p99) and at 50 (requests per second). A is Handoff's API (GET /v1/tasks); B is
// the same store query called directly, the floor the API stands on.
func (b *bencher) measureR5(ctx context.Context) ([]Figure, error) {
	total := 1_000_000
	if b.cfg.Short {
		total = 20_000
	}
	in, err := b.seedInbox(ctx, total)
	if err != nil {
		return nil, fmt.Errorf("R5: %w", err)
	}
	defer in.close()
	d := b.dur(5*time.Second, time.Second)
	p50 := Figure{ID: "R5.c1.p50", Name: "inbox read at 1 connection, p50", Unit: "ms", Target: "report"}
	p99 := Figure{ID: "R5.c1.p99", Name: "inbox read at 1 connection, p99", Unit: "ms", Target: "p99 ≤ 5 ms",
		check: func(a, _ float64) bool { return a <= 5 }}
	rps := Figure{ID: "R5.c50.rps", Name: "inbox reads/s at 50 connections", Unit: "req/s", Target: "≥ 5000 req/s",
		check: func(a, _ float64) bool { return a >= 5000 }}
	for _, sd := range []side{interpreted, handWritten} { // warm the caches, unmeasured
		if _, err := in.load(ctx, sd, 4, d/2); err != nil {
			return nil, fmt.Errorf("R5: %w", err)
		}
	}
	for rep := range b.reps(5) {
		for _, sd := range []side{interpreted, handWritten} {
			one, err := in.load(ctx, sd, 1, d)
			if err != nil {
				return nil, fmt.Errorf("R5: %w", err)
			}
			stop := b.profileSelf(rep == 0 && sd == interpreted, "api-inbox")
			many, err := in.load(ctx, sd, 50, d)
			stop()
			if err != nil {
				return nil, fmt.Errorf("R5: %w", err)
			}
			vals := []float64{percentile(one, 50), percentile(one, 99), float64(len(many)) / d.Seconds()}
			for i, f := range []*Figure{&p50, &p99, &rps} {
				if sd == interpreted {
					f.A = append(f.A, vals[i])
				} else {
					f.B = append(f.B, vals[i])
				}
			}
			b.logf("R5 %-11s 1 conn p50 %.2f p99 %.2f ms; 50 conns %.0f req/s", sd, vals[0], vals[1], vals[2])
		}
	}
	p50.Note = fmt.Sprintf("%d tasks, %d open, %d users in %d groups; each read returns a full page of 50; "+
		"interpreted = GET /v1/tasks?assignee=me&status=open through the API (auth, query, JSON), "+
		"baseline = postgres.DB.ListTasks called directly", total, total/10, max(total/1000, 1), in.groups)
	return []Figure{p50, p99, rps}, nil
}

// profileSelf writes a CPU profile of this process (the API and the load generator) into
// BENCH_PROFILE while the returned function has not been called.
func (b *bencher) profileSelf(when bool, name string) func() {
	if !when || b.cfg.ProfileDir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(b.cfg.ProfileDir, name+".pprof"))
	if err != nil {
		b.logf("profile: %v", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.logf("profile: %v", err)
		_ = f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}
