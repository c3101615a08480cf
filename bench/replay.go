package bench

import (
	"context"
	"fmt"
	"log/slog"
	"syscall"
	"time"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/bench/baseline"
	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/workflows"
)

// measureR7 replays the R1 histories (one per scenario and form) with the SDK's
// replayer, as a worker does after a restart or a cache eviction, and divides the CPU
// time by the events replayed.
func (b *bencher) measureR7(ctx context.Context, recorded map[string]*histories) ([]Figure, error) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(workflows.NewInterpreter(definitions.NewEngine()).Run,
		workflow.RegisterOptions{Name: workflows.WorkflowName})
	baseline.Register(r)
	logger := sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	sets := map[side][]recordedRun{}
	events := map[side]int{}
	for _, name := range []string{"linear", "decision", "fanout", "timer", "http"} {
		h := recorded[name]
		if h == nil || len(h.a) == 0 || len(h.b) == 0 {
			return nil, fmt.Errorf("R7: no recorded history of %s", name)
		}
		sets[interpreted], sets[handWritten] = append(sets[interpreted], h.a[0]), append(sets[handWritten], h.b[0])
		events[interpreted] += len(h.a[0].h.GetEvents())
		events[handWritten] += len(h.b[0].h.GetEvents())
	}
	replayAll := func(sd side, times int) (time.Duration, error) {
		cpu0 := selfCPU()
		for range times {
			for _, rec := range sets[sd] {
				// The original workflow id matters: task ids are derived from it.
				err := r.ReplayWorkflowHistoryWithOptions(logger, rec.h,
					worker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: rec.id}})
				if err != nil {
					return 0, fmt.Errorf("R7: replay a %s history: %w", sd, err)
				}
			}
		}
		return selfCPU() - cpu0, nil
	}
	f := Figure{ID: "R7", Name: "replay CPU per history event", Unit: "µs", Target: "ratio ≤ 2.0", check: ratioAtMost(2.0)}
	times := 40
	if b.cfg.Short {
		times = 3
	}
	for _, sd := range []side{interpreted, handWritten} { // warm up (the engine compiles expressions once)
		if _, err := replayAll(sd, 1); err != nil {
			return nil, err
		}
	}
	for range b.reps(5) {
		for _, sd := range []side{interpreted, handWritten} {
			cpu, err := replayAll(sd, times)
			if err != nil {
				return nil, err
			}
			add(&f, sd, float64(cpu)/float64(time.Microsecond)/float64(times*events[sd]))
		}
	}
	b.logf("R7 replay µs/event: interpreted %v, baseline %v", f.A, f.B)
	f.Note = fmt.Sprintf("the first R1 history of each of the five processes: %d interpreted events, %d hand-written; "+
		"process CPU time (getrusage) over %d replays of each set", events[interpreted], events[handWritten], times)
	return []Figure{f}, nil
}

// selfCPU is the CPU time (user + system) this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
