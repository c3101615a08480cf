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
// (p50, p99) and at 50 (requests per second). A is Handoff's API as shipped (GET
// /v1/tasks, read caches on); B is the same store query called directly, the floor the
// API stands on without its caches. The same API with its read caches off is measured
// beside them and reported, so the cost of a cache miss stays visible.
func (b *bencher) measureR5(ctx context.Context) ([]Figure, error) {
	total := 1_000_000
	if b.cfg.Short {
		total = 20_000
	}
	in, err := b.seedInbox(ctx, "handoff_inbox", total)
	if err != nil {
		return nil, fmt.Errorf("R5: %w", err)
	}
	defer in.close()
	d := b.dur(3*time.Second, time.Second)
	p50 := Figure{ID: "R5.c1.p50", Name: "inbox read at 1 connection, p50", Unit: "ms", Target: "report"}
	p99 := Figure{ID: "R5.c1.p99", Name: "inbox read at 1 connection, p99", Unit: "ms", Target: "p99 ≤ 5 ms",
		check: func(a, _ float64) bool { return a <= 5 }}
	rps := Figure{ID: "R5.c50.rps", Name: "inbox reads/s at 50 connections", Unit: "req/s", Target: "≥ 5000 req/s",
		check: func(a, _ float64) bool { return a >= 5000 }}
	coldP99 := Figure{ID: "R5.nocache.c1.p99", Name: "inbox read at 1 connection, p99, read caches off", Unit: "ms", Target: "report"}
	coldRPS := Figure{ID: "R5.nocache.c50.rps", Name: "inbox reads/s at 50 connections, read caches off", Unit: "req/s", Target: "report"}
	readers := []inboxReader{viaAPI, viaStore, viaColdAPI}
	for _, via := range readers { // warm the caches, unmeasured
		if _, err := in.load(ctx, via, 4, d/2); err != nil {
			return nil, fmt.Errorf("R5: %w", err)
		}
	}
	for rep := range b.reps(5) {
		for _, via := range readers {
			one, err := in.load(ctx, via, 1, d)
			if err != nil {
				return nil, fmt.Errorf("R5: %w", err)
			}
			stop := b.profileSelf(rep == 0 && via == viaAPI, "api-inbox")
			many, err := in.load(ctx, via, 50, d)
			stop()
			if err != nil {
				return nil, fmt.Errorf("R5: %w", err)
			}
			c1p50, c1p99, c50 := percentile(one, 50), percentile(one, 99), float64(len(many))/d.Seconds()
			switch via {
			case viaAPI:
				p50.A, p99.A, rps.A = append(p50.A, c1p50), append(p99.A, c1p99), append(rps.A, c50)
			case viaStore:
				p50.B, p99.B, rps.B = append(p50.B, c1p50), append(p99.B, c1p99), append(rps.B, c50)
				coldP99.B, coldRPS.B = append(coldP99.B, c1p99), append(coldRPS.B, c50)
			case viaColdAPI:
				coldP99.A, coldRPS.A = append(coldP99.A, c1p99), append(coldRPS.A, c50)
			}
			b.logf("R5 %-11s 1 conn p50 %.2f p99 %.2f ms; 50 conns %.0f req/s", via, c1p50, c1p99, c50)
		}
	}
	p50.Note = fmt.Sprintf("%d tasks, %d open, %d users in %d groups; each read returns a full page of 50; "+
		"interpreted = GET /v1/tasks?assignee=me&status=open through the API as shipped (auth, read caches, JSON), "+
		"baseline = postgres.DB.ListTasks called directly; R5.nocache = the same API with its read caches off",
		total, total/10, max(total/1000, 1), in.groups)
	return []Figure{p50, p99, rps, coldP99, coldRPS}, nil
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
