package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"
)

// measureR5 seeds 1M tasks (100k open over 1,000 users in 50 groups) and reads 50-row
// inboxes of random users, at one connection (p50, p99) and at 50 (requests per second),
// while completions churn at R4's rate (ordered projection writes, as the worker makes).
// A is Handoff's API (GET /v1/tasks: authentication, the query, JSON); B is the same
// store query called directly, in the same run. Nothing is cached.
func (b *bencher) measureR5(ctx context.Context, churnRate float64) ([]Figure, error) {
	total := 1_000_000
	if b.cfg.Short {
		total = 20_000
	}
	how := "R4's rate"
	if churnRate <= 0 {
		churnRate, how = 30, "30/s (R4's rate is unknown: set BENCH_R4_RATE or run R2)"
	}
	in, err := b.seedInbox(ctx, "handoff_inbox", total)
	if err != nil {
		return nil, fmt.Errorf("R5: %w", err)
	}
	defer in.close()
	churnCtx, stopChurn := context.WithCancel(ctx)
	defer stopChurn()
	type churned struct {
		n   int
		err error
	}
	churnDone := make(chan churned, 1)
	churnBegan := time.Now()
	go func() {
		n, err := in.churn(churnCtx, churnRate)
		churnDone <- churned{n, err}
	}()
	d := b.dur(3*time.Second, time.Second)
	p50 := Figure{ID: "R5.c1.p50", Name: "inbox read at 1 connection, p50", Unit: "ms", Target: "ratio ≤ 2.0",
		check: func(_, r float64) bool { return r <= 2 }}
	p99 := Figure{ID: "R5.c1.p99", Name: "inbox read at 1 connection, p99", Unit: "ms", Target: "p99 ≤ 10 ms",
		check: func(a, _ float64) bool { return a <= 10 }}
	rps := Figure{ID: "R5.c50.rps", Name: "inbox reads/s at 50 connections", Unit: "req/s", Target: "≥ 500 req/s",
		check: func(a, _ float64) bool { return a >= 500 }}
	readers := []inboxReader{viaAPI, viaStore}
	for _, via := range readers { // warm up, unmeasured
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
			if via == viaAPI {
				p50.A, p99.A, rps.A = append(p50.A, c1p50), append(p99.A, c1p99), append(rps.A, c50)
			} else {
				p50.B, p99.B, rps.B = append(p50.B, c1p50), append(p99.B, c1p99), append(rps.B, c50)
			}
			b.logf("R5 %-5s 1 conn p50 %.2f p99 %.2f ms; 50 conns %.0f req/s", via, c1p50, c1p99, c50)
		}
	}
	stopChurn()
	c := <-churnDone
	if c.err != nil {
		return nil, fmt.Errorf("R5: %w", c.err)
	}
	p50.Note = fmt.Sprintf("%d tasks, %d open, %d users in %d groups, each read a random user's full page of 50; "+
		"%d completions churned meanwhile (%.1f/s, %s); interpreted = GET /v1/tasks?assignee=me&status=open "+
		"through the API (auth, query, JSON, no cache), baseline = postgres.DB.ListTasks called directly",
		total, total/10, len(in.users), in.groups, c.n, float64(c.n)/time.Since(churnBegan).Seconds(), how)
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
