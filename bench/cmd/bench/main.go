// Command bench runs Handoff's benchmarks (`make bench`): the interpreter against
// hand-written Temporal workflows, side by side. See docs/benchmarks.md.
//
// Environment: BENCH_SHORT=1 (smoke run), BENCH_JSON (results file, default
// bench/results.json), BENCH_PROFILE (a folder for worker CPU profiles), BENCH_ONLY
// (comma-separated figure ids or prefixes, e.g. R1,R5 or P for section P alone).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/handoffhq/handoff/bench"
	"github.com/handoffhq/handoff/internal/devstack"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == bench.WorkerCommand {
		if err := bench.RunWorker(ctx, os.Getenv, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench worker:", err)
			os.Exit(1)
		}
		return
	}
	root, err := devstack.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if err := bench.Run(ctx, bench.ConfigFromEnv(os.Getenv, root)); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
