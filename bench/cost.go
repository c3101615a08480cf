package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/bench/minimal"
	"github.com/handoffhq/handoff/workflows"
)

// Section P: what a Handoff run costs against the least Temporal code doing the same
// business steps (bench/minimal: no projection, no search attributes, no run state).
// A is Handoff, driven as the API drives it; B is the minimal workflow. Issue 18 and
// docs/benchmarks.md say what each figure means.

// costWorkload is one process of section P in its two forms.
type costWorkload struct {
	name    string   // the definition in bench/defs and the figure id part
	what    string   // in plain words, for the table
	minimal string   // the minimal workflow
	steps   []string // the steps whose tasks the driver completes, in order
}

var costWorkloads = []costWorkload{
	{name: "set3", what: "3 set steps", minimal: minimal.Set3Name},
	{name: "human", what: "one human step", minimal: minimal.HumanName, steps: []string{"review"}},
	{name: "linear", what: "5 tasks in a row", minimal: minimal.LinearName, steps: []string{"s1", "s2", "s3", "s4", "s5"}},
	{name: "fanout10", what: "fan-out of 10, joined", minimal: minimal.FanOut10Name,
		steps: []string{"r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10"}},
}

// humanWorkload is the workload of the latency and memory figures.
var humanWorkload = costWorkloads[1]

// measureP runs every selected part of section P. A part that fails is reported as an
// error row and the others still run.
func (b *bencher) measureP(ctx context.Context) ([]Figure, error) {
	var (
		figs []Figure
		errs []error
	)
	part := func(id string, wanted bool, run func(context.Context) ([]Figure, error)) {
		if !wanted {
			return
		}
		got, err := run(ctx)
		figs = append(figs, b.selected(got)...)
		if err != nil {
			b.logf("%s failed: %v", id, err)
			figs = append(figs, Figure{ID: id, Name: "did not complete", Target: "run", Note: err.Error(), failed: true})
			errs = append(errs, err)
		}
	}
	part("P.history", b.wantsGroup("P.bytes") || b.wantsGroup("P.events") || b.wantsGroup("P.actions"), b.measurePHistory)
	part("P.cpu", b.wantsGroup("P.cpu"), b.measurePCPU)
	part("P.latency", b.wantsGroup("P.api") || b.wantsGroup("P.sdk"), b.measurePLatency)
	part("P.mem", b.wantsGroup("P.mem"), b.measurePMem) // last: it restarts the worker
	return figs, errors.Join(errs...)
}

// pSide names the forms of section P.
func pSide(sd side) string {
	if sd == interpreted {
		return "handoff"
	}
	return "minimal"
}

// pDrive runs one run of the workload in one form to its end, as its users would: Handoff
// through the SDK exactly as the API does (UpdateWithStart of settle, one complete Update
// per task), the minimal workflow started and completed with its own Update.
func (b *bencher) pDrive(ctx context.Context, wl costWorkload, sd side, owner string) (string, int, error) {
	sc := b.scenarios[wl.name]
	if sd == interpreted {
		return b.d.drive(ctx, sc, sd, owner)
	}
	id := fmt.Sprintf("%s-minimal-%d", sc.key(), b.d.seq.Add(1))
	run, err := b.s.tc.ExecuteWorkflow(ctx, b.minimalStart(id), wl.minimal, minimal.Input{Owner: owner, Title: "Order " + id})
	if err != nil {
		return id, 0, fmt.Errorf("start minimal run %s: %w", id, err)
	}
	if len(wl.steps) > 0 {
		// People answer a task they have seen: like Handoff's settle, wait until the run
		// rests on its first tasks (polled, which costs the worker nothing).
		if err := b.awaitSettledEvery(ctx, []string{id}, 2*time.Millisecond); err != nil {
			return id, 0, err
		}
	}
	for i, step := range wl.steps {
		data, _ := sc.answer(step)
		if err := b.completeMinimal(ctx, id, step, owner, data); err != nil {
			return id, i, err
		}
	}
	if err := run.Get(ctx, nil); err != nil {
		return id, len(wl.steps), fmt.Errorf("minimal run %s: %w", id, err)
	}
	return id, len(wl.steps), nil
}

// minimalStart is how a minimal run starts: an id and the task queue, nothing else.
func (b *bencher) minimalStart(id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}
}

// completeMinimal completes a minimal run's task through the SDK.
func (b *bencher) completeMinimal(ctx context.Context, id, step, actor string, data map[string]any) error {
	h, err := b.s.tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: minimal.UpdateComplete, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{minimal.Completion{Step: step, Actor: actor, Data: data}},
	})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("complete %s of minimal run %s: %w", step, id, err)
	}
	return nil
}

// measurePHistory runs each workload to its end in both forms, alternating, and reads
// each closed run's history: its size and length as the server counts them, its
// Temporal Cloud actions (cloudActions), and, for the first run of each form, where its
// bytes go (historyParts) and which events it has beyond the other form.
func (b *bencher) measurePHistory(ctx context.Context) ([]Figure, error) {
	var figs []Figure
	for _, wl := range costWorkloads {
		if !b.wants("P.bytes."+wl.name) && !b.wants("P.events."+wl.name) && !b.wants("P.actions."+wl.name) {
			continue
		}
		size := Figure{ID: "P.bytes." + wl.name, Name: "history bytes per run (" + wl.what + ")", Unit: "B",
			Target: "ratio ≤ 2.0", check: ratioAtMost(2.0)}
		events := Figure{ID: "P.events." + wl.name, Name: "history events per run", Target: "report"}
		actions := Figure{ID: "P.actions." + wl.name, Name: "Temporal Cloud actions per run", Target: "report"}
		parts := map[side]map[string]int{}
		types := map[side][]string{}
		for rep := range b.reps(3) {
			for _, sd := range []side{interpreted, handWritten} {
				id, _, err := b.pDrive(ctx, wl, sd, "owner")
				if err != nil {
					return figs, fmt.Errorf("section P history %s: %w", wl.name, err)
				}
				if err := b.s.tc.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
					return figs, fmt.Errorf("section P history %s: run %s: %w", wl.name, id, err)
				}
				desc, err := b.s.tc.DescribeWorkflow(ctx, id, "")
				if err != nil {
					return figs, fmt.Errorf("section P history %s: describe %s: %w", wl.name, id, err)
				}
				hist, err := b.history(ctx, id)
				if err != nil {
					return figs, err
				}
				info := desc.RawResponse.GetWorkflowExecutionInfo()
				add(&size, sd, float64(info.GetHistorySizeBytes()))
				add(&events, sd, float64(info.GetHistoryLength()))
				add(&actions, sd, float64(cloudActions(hist.GetEvents())))
				if rep == 0 {
					parts[sd], types[sd] = historyParts(hist.GetEvents()), eventTypes(hist)
					if err := b.saveHistory(id, hist); err != nil {
						return figs, err
					}
				}
			}
		}
		size.Note = fmt.Sprintf("where the bytes of the first run go (proto size per part), Handoff: %s; minimal: %s",
			partsNote(parts[interpreted]), partsNote(parts[handWritten]))
		events.Note = eventReasons(types[interpreted], types[handWritten])
		actions.Note = "counted from the history as Temporal Cloud counts actions (docs.temporal.io/cloud/actions): " +
			"start (an UpdateWithStart's Update is one more), each accepted Update, signal, timer, activity " +
			"attempt and search-attribute upsert, and one per workflow task that records markers (local activities)"
		figs = append(figs, size, events, actions)
		b.logf("P history %-8s bytes %v vs %v, events %v vs %v, actions %v vs %v", wl.name, size.A, size.B,
			events.A, events.B, actions.A, actions.B)
	}
	return figs, nil
}

// measurePCPU alternates closed-loop phases of each workload in both forms (as R2 does)
// and divides the worker's CPU time over each phase by the runs it completed.
func (b *bencher) measurePCPU(ctx context.Context) ([]Figure, error) {
	var figs []Figure
	phase := b.dur(8*time.Second, time.Second)
	for _, wl := range costWorkloads {
		id := "P.cpu." + wl.name
		if !b.wants(id) {
			continue
		}
		fig := Figure{ID: id, Name: "worker CPU per run (" + wl.what + ")", Unit: "ms", Target: "ratio ≤ 1.3", check: ratioAtMost(1.3)}
		drive := func(sd side) func(context.Context, string) (int, error) {
			return func(ctx context.Context, owner string) (int, error) {
				_, steps, err := b.pDrive(ctx, wl, sd, owner)
				return steps, err
			}
		}
		if !b.cfg.Short {
			for _, sd := range []side{interpreted, handWritten} { // warm caches and connections, unmeasured
				if _, err := b.loadPhase(ctx, 2*time.Second, drive(sd)); err != nil {
					return figs, fmt.Errorf("section P cpu %s %s: %w", wl.name, pSide(sd), err)
				}
			}
		}
		for rep := range b.reps(3) {
			for _, sd := range []side{interpreted, handWritten} {
				stop := b.profileWorker(ctx, rep, fmt.Sprintf("worker-P-%s-%s", wl.name, pSide(sd)), phase)
				res, err := b.loadPhase(ctx, phase, drive(sd))
				stop()
				if err != nil {
					return figs, fmt.Errorf("section P cpu %s %s: %w", wl.name, pSide(sd), err)
				}
				perRun := float64(res.workerCPU) / float64(time.Millisecond) / float64(max(res.runs, 1))
				add(&fig, sd, perRun)
				b.logf("P cpu %-8s %-7s %4d runs in %4.1fs: worker %.2f ms CPU/run", wl.name, pSide(sd), res.runs,
					res.elapsed.Seconds(), perRun)
			}
		}
		fig.Note = fmt.Sprintf("worker process CPU (user+system, /proc) over %s closed-loop phases at concurrency %d "+
			"divided by the runs completed; the worker also runs Handoff's SyncInbox local activities (Postgres)",
			phase, b.concurrency())
		figs = append(figs, fig)
	}
	return figs, nil
}

// measurePMem holds n waiting runs of the human step in a fresh worker per form and
// repetition, and reports the worker memory they hold per 1,000 runs.
func (b *bencher) measurePMem(ctx context.Context) ([]Figure, error) {
	n := 1000
	if b.cfg.Short {
		n = 20
	}
	mem := Figure{ID: "P.mem", Name: "worker memory per 1,000 waiting runs (human step)", Unit: "MiB",
		Target: "ratio ≤ 2.0", check: ratioAtMost(2.0)}
	rss := Figure{ID: "P.mem.rss", Name: "worker resident memory per 1,000 waiting runs", Unit: "MiB", Target: "report"}
	if b.cfg.ProfileDir != "" { // heap profiles fine enough to split per run
		b.s.wenv.heapRate = 16 << 10
		defer func() { b.s.wenv.heapRate = 0 }()
	}
	var heaps, stacks [2][]float64
	for rep := range b.reps(3) {
		for i, sd := range []side{interpreted, handWritten} {
			held, err := b.pWaiting(ctx, sd, n, rep)
			if err != nil {
				return nil, fmt.Errorf("section P mem %s: %w", pSide(sd), err)
			}
			add(&mem, sd, held.heap+held.stacks)
			add(&rss, sd, held.rss)
			heaps[i], stacks[i] = append(heaps[i], held.heap), append(stacks[i], held.stacks)
			b.logf("P mem %-7s %d waiting runs, per 1,000: %.2f MiB live heap + %.2f MiB stacks, %.2f MiB resident",
				pSide(sd), n, held.heap, held.stacks, held.rss)
		}
	}
	mem.Note = fmt.Sprintf("%d runs per form and repetition in a fresh worker, each waiting on its task (every run in the "+
		"sticky cache); live heap plus goroutine stacks after a full collection, before and after: Handoff %.1f + %.1f MiB, "+
		"minimal %.1f + %.1f MiB (medians)", n, median(heaps[0]), median(stacks[0]), median(heaps[1]), median(stacks[1]))
	rss.Note = "resident set size after the same collection with free memory returned to the OS, before and after"
	return []Figure{mem, rss}, nil
}

// heldMemory is what waiting runs add to the worker, in MiB per 1,000 runs.
type heldMemory struct{ heap, stacks, rss float64 }

// pWaiting restarts the worker, starts n human-step runs of one form and, once every
// one has finished its first workflow task, returns the memory they added.
func (b *bencher) pWaiting(ctx context.Context, sd side, n, rep int) (heldMemory, error) {
	if err := b.s.restartWorker(ctx); err != nil {
		return heldMemory{}, err
	}
	m0, err := b.s.worker.memory(ctx)
	if err != nil {
		return heldMemory{}, err
	}
	wl, sc := humanWorkload, b.scenarios[humanWorkload.name]
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-wait-%d-%s-%d", sc.key(), rep, pSide(sd), i)
	}
	err = startEach(0, n, func(i int) error {
		var err error
		if sd == interpreted {
			opts, name, input := b.d.startArgs(sc, sd, "owner", ids[i])
			_, err = b.s.tc.ExecuteWorkflow(ctx, opts, name, input)
		} else {
			_, err = b.s.tc.ExecuteWorkflow(ctx, b.minimalStart(ids[i]), wl.minimal, minimal.Input{Owner: "owner", Title: "Order " + ids[i]})
		}
		if err != nil {
			return fmt.Errorf("start %s: %w", ids[i], err)
		}
		return nil
	})
	if err != nil {
		return heldMemory{}, err
	}
	if err := b.awaitSettled(ctx, ids); err != nil {
		return heldMemory{}, err
	}
	m1, err := b.s.worker.memory(ctx)
	if err != nil {
		return heldMemory{}, err
	}
	if b.cfg.ProfileDir != "" && rep == 0 {
		if err := b.s.worker.heapProfile(ctx, filepath.Join(b.cfg.ProfileDir, "worker-P-heap-"+pSide(sd)+".pprof")); err != nil {
			b.logf("profile: %v", err)
		}
	}
	per := 1000 / float64(n) / (1 << 20)
	return heldMemory{heap: (float64(m1.Heap) - float64(m0.Heap)) * per, stacks: (float64(m1.Stacks) - float64(m0.Stacks)) * per,
		rss: float64(m1.RSS-m0.RSS) * per}, nil
}

// awaitSettled waits until every run has finished its first workflow task (none
// pending), which is when a waiting run is in the worker's cache and at rest.
func (b *bencher) awaitSettled(ctx context.Context, ids []string) error {
	return b.awaitSettledEvery(ctx, ids, 100*time.Millisecond)
}

// awaitSettledEvery is awaitSettled polling at the given interval.
func (b *bencher) awaitSettledEvery(ctx context.Context, ids []string, every time.Duration) error {
	deadline := time.Now().Add(5 * time.Minute)
	for pending := ids; len(pending) > 0; {
		var (
			mu    sync.Mutex
			still []string
		)
		err := startEach(0, len(pending), func(i int) error {
			desc, err := b.s.tc.DescribeWorkflow(ctx, pending[i], "")
			if err != nil {
				return fmt.Errorf("describe %s: %w", pending[i], err)
			}
			if d := desc.RawResponse; d.GetPendingWorkflowTask() != nil || d.GetWorkflowExecutionInfo().GetHistoryLength() < 4 {
				mu.Lock()
				still = append(still, pending[i])
				mu.Unlock()
			}
			return nil
		})
		if err != nil {
			return err
		}
		if pending = still; len(pending) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d runs still had a workflow task pending after 5 minutes", len(pending), len(ids))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
	return nil
}

// pLatencyPath is one way a person's completion reaches the run.
type pLatencyPath struct {
	id, what string
	p50, p99 string // targets of the ratio; "" reports only
}

var pLatencyPaths = []pLatencyPath{
	{id: "api", what: "through the API", p50: "1.3", p99: "1.5"},
	{id: "sdk", what: "straight through the SDK (Update)"},
}

// pLatencyOwner is the person who completes every task of the latency phases.
const pLatencyOwner = "p-owner"

// measurePLatency sends completions of the human step at a fixed rate (an open model)
// to runs waiting on it and measures each from the message sent until the answer that
// the run has closed: through the API (Handoff's; for the minimal form, the least HTTP
// handler, minimal.API) and straight through the SDK.
func (b *bencher) measurePLatency(ctx context.Context) ([]Figure, error) {
	sc := b.scenarios[humanWorkload.name]
	if _, _, err := api.Publish(ctx, b.s.db, sc.source, "bench"); err != nil {
		return nil, fmt.Errorf("section P latency: publish: %w", err)
	}
	c := newAPIClient(b.s.apiURL, 64)
	if err := addUsers(ctx, b.s.db, c, []string{pLatencyOwner}, "member", nil); err != nil {
		return nil, fmt.Errorf("section P latency: %w", err)
	}
	minURL, stop, err := serveMinimalAPI(b.s.tc)
	if err != nil {
		return nil, err
	}
	defer stop()
	cm := newAPIClient(minURL, 64)
	cm.keys[minimalActor] = minimalToken
	rate := 10.0
	if b.cfg.Short {
		rate = 5
	}
	phase := b.dur(15*time.Second, time.Second)
	var figs []Figure
	for _, path := range pLatencyPaths {
		if !b.wantsGroup("P." + path.id) {
			continue
		}
		p50 := Figure{ID: "P." + path.id + ".p50", Name: "human step, message sent → run closed, p50 (" + path.what + ")", Unit: "ms", Target: "report"}
		p99 := Figure{ID: "P." + path.id + ".p99", Name: "human step, message sent → run closed, p99", Unit: "ms", Target: "report"}
		if path.p50 != "" {
			limit50, _ := strconv.ParseFloat(path.p50, 64)
			limit99, _ := strconv.ParseFloat(path.p99, 64)
			p50.Target, p50.check = "ratio ≤ "+path.p50, ratioAtMost(limit50)
			p99.Target, p99.check = "ratio ≤ "+path.p99, ratioAtMost(limit99)
		}
		for rep := range b.reps(3) {
			for _, sd := range []side{interpreted, handWritten} {
				lat, err := b.pLatencyPhase(ctx, path.id, sd, c, cm, rate, phase, rep)
				if err != nil {
					return figs, fmt.Errorf("section P latency %s %s: %w", path.id, pSide(sd), err)
				}
				add(&p50, sd, percentile(lat, 50))
				add(&p99, sd, percentile(lat, 99))
				b.logf("P %s %-7s %3d completions at %.0f/s: p50 %.1f ms, p99 %.1f ms", path.id, pSide(sd), len(lat), rate,
					percentile(lat, 50), percentile(lat, 99))
			}
		}
		p50.Note = fmt.Sprintf("open model at %.0f completions/s for %s per phase, each to its own waiting run; "+
			"Handoff: POST /v1/tasks/{id}/complete (API key, task lookup, Update) or the complete Update; minimal: "+
			"POST /complete/{run}/{step} (one shared token, the Update) or its Update; the answer comes once the "+
			"workflow task that closes the run is done, and every run is checked closed after the phase", rate, phase)
		figs = append(figs, p50, p99)
	}
	return figs, nil
}

// waitingRun is a run waiting on its human step, ready to be completed.
type waitingRun struct{ id, task string }

// pLatencyPhase starts the runs one phase completes (unmeasured: Handoff's through
// POST /v1/runs, the minimal ones through the SDK, each then at rest), completes them
// at rate, and returns each completion's latency in milliseconds.
func (b *bencher) pLatencyPhase(ctx context.Context, path string, sd side, c, cm *apiClient,
	rate float64, phase time.Duration, rep int) ([]float64, error) {
	sc, wl := b.scenarios[humanWorkload.name], humanWorkload
	runs := make([]waitingRun, int(math.Ceil(rate*phase.Seconds())))
	err := startEach(0, len(runs), func(i int) error {
		id := fmt.Sprintf("%s-lat-%s-%d-%s-%d", sc.key(), path, rep, pSide(sd), i)
		if sd == handWritten {
			runs[i] = waitingRun{id: id}
			_, err := b.s.tc.ExecuteWorkflow(ctx, b.minimalStart(id), wl.minimal, minimal.Input{Owner: pLatencyOwner, Title: "Order " + id})
			return err
		}
		var out struct {
			ID        string     `json:"id"`
			OpenTasks []taskJSON `json:"open_tasks"`
		}
		body := map[string]any{"definition": sc.key(), "inputs": map[string]any{"owner": pLatencyOwner, "title": "Order " + id}}
		if _, err := c.do(ctx, pLatencyOwner, "POST", "/v1/runs", body, &out); err != nil {
			return err
		}
		if len(out.OpenTasks) != 1 {
			return fmt.Errorf("run %s opened %d tasks, not 1", out.ID, len(out.OpenTasks))
		}
		runs[i] = waitingRun{id: out.ID, task: out.OpenTasks[0].ID}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.id
	}
	if err := b.awaitSettled(ctx, ids); err != nil {
		return nil, err
	}
	send := b.pCompletion(path, sd, c, cm)
	lat := newLatencies()
	var (
		wg       sync.WaitGroup
		firstErr atomic.Value
	)
	interval := time.Duration(float64(time.Second) / rate)
	next := time.Now()
	for _, r := range runs {
		time.Sleep(time.Until(next))
		next = next.Add(interval)
		wg.Go(func() {
			t0 := time.Now()
			if err := send(ctx, r); err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			lat.add(time.Since(t0))
		})
	}
	wg.Wait()
	out := lat.done()
	if err, ok := firstErr.Load().(error); ok {
		return out, err
	}
	return out, startEach(0, len(ids), func(i int) error {
		desc, err := b.s.tc.DescribeWorkflow(ctx, ids[i], "")
		if err != nil {
			return fmt.Errorf("describe %s: %w", ids[i], err)
		}
		if st := desc.RawResponse.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
			return fmt.Errorf("run %s is %s after its completion was answered", ids[i], st)
		}
		return nil
	})
}

// pCompletion returns the function that completes a waiting run's task one way: c calls
// Handoff's API, cm the minimal one.
func (b *bencher) pCompletion(path string, sd side, c, cm *apiClient) func(context.Context, waitingRun) error {
	data, _ := b.scenarios[humanWorkload.name].answer("review")
	switch {
	case path == "api" && sd == interpreted:
		return func(ctx context.Context, r waitingRun) error {
			var res completeJSON
			if _, err := c.do(ctx, pLatencyOwner, "POST", "/v1/tasks/"+r.task+"/complete", map[string]any{"data": data}, &res); err != nil {
				return err
			}
			if res.Run.Status != workflows.StatusCompleted {
				return fmt.Errorf("run %s answered %s, not completed", r.id, res.Run.Status)
			}
			return nil
		}
	case path == "api":
		return func(ctx context.Context, r waitingRun) error {
			var res struct {
				Done bool `json:"done"`
			}
			if _, err := cm.do(ctx, minimalActor, "POST", "/complete/"+r.id+"/review", data, &res); err != nil {
				return err
			}
			if !res.Done {
				return fmt.Errorf("minimal run %s did not say done", r.id)
			}
			return nil
		}
	case sd == interpreted:
		return func(ctx context.Context, r waitingRun) error {
			h, err := b.s.tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
				WorkflowID: r.id, UpdateName: workflows.UpdateComplete, WaitForStage: client.WorkflowUpdateStageCompleted,
				Args: []any{workflows.CompleteRequest{TaskID: r.task, Actor: pLatencyOwner, Data: data}},
			})
			var res workflows.CompleteResult
			if err == nil {
				err = h.Get(ctx, &res)
			}
			if err != nil {
				return fmt.Errorf("complete %s: %w", r.task, err)
			}
			if res.Run.Status != workflows.StatusCompleted {
				return fmt.Errorf("run %s answered %s, not completed", r.id, res.Run.Status)
			}
			return nil
		}
	}
	return func(ctx context.Context, r waitingRun) error {
		return b.completeMinimal(ctx, r.id, "review", pLatencyOwner, data)
	}
}

// The minimal API's one token and the actor it stands for.
const (
	minimalToken = "minimal-bench-token"
	minimalActor = pLatencyOwner
)

// serveMinimalAPI serves minimal.API on a loopback port, as Handoff's API is served.
func serveMinimalAPI(tc client.Client) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen for the minimal api: %w", err)
	}
	srv := &http.Server{Handler: minimal.API(tc, minimalToken, minimalActor), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}
