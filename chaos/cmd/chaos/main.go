// Command chaos runs Handoff's fault matrix (`make chaos`): faults F1–F5 and F10–F13 of
// the reliability page against real processes on this machine, and a table of what was
// acknowledged, lost and duplicated. It exits 1 when anything was lost, duplicated or
// otherwise broken. See docs/reliability.md.
//
// Environment: CHAOS_ONLY (comma-separated fault ids, e.g. F1,F10), CHAOS_KEEP=1 (keep
// the work folder with servers.log, the Temporal file and the Postgres cluster).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/handoffhq/handoff/chaos"
	"github.com/handoffhq/handoff/internal/devstack"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := devstack.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
	rows, err := chaos.Run(ctx, chaos.ConfigFromEnv(os.Getenv, root))
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
	for _, r := range rows {
		if r.Failed() {
			fmt.Fprintf(os.Stderr, "chaos: %s lost, duplicated or broke something (see the findings above)\n", r.ID)
			os.Exit(1)
		}
	}
}
