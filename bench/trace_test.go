// Latency traces of R4 (not run by `make test`: they need BENCH_TRACE=1).
//
//	BENCH_TRACE=1 BENCH_TRACE_INPROC=1 go test -count=1 -run TestR4Trace -v ./bench/
//
// starts the bench stack with an instrumented in-process worker and API client and
// completes tasks one at a time (about 5/s), timing each stage of a completion: the
// API before its Update, the Update until the workflow task reaches the worker, the
// worker before, during (SyncInbox) and after the local activity, the server from the
// worker's answer to the API's, and the inbox GET. Between completions it sends the
// same Update shapes to a trivial workflow (no-op, local activity, search attribute
// upsert) on the same server: the floor the dev server sets.
//
//	BENCH_TRACE=1 go test -count=1 -run TestTrivialUpdate -v ./bench/
//
// measures those trivial Updates alone on a fresh tuned dev server (TRIV_ARGS adds
// dynamic config values, TRIV_NOGZIP=1 turns gRPC compression off, TRIV_POLLERS sets
// the workflow task pollers).
package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/grpc"

	"github.com/handoffhq/handoff/activities"
	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/bench/baseline"
	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/internal/devstack"
	hworker "github.com/handoffhq/handoff/worker"
	"github.com/handoffhq/handoff/workflows"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == WorkerCommand {
		if err := RunWorker(context.Background(), os.Getenv, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

type tev struct {
	at   time.Time
	what string
}

type tracer struct {
	mu  sync.Mutex
	evs []tev
}

func (t *tracer) add(what string) {
	t.mu.Lock()
	t.evs = append(t.evs, tev{time.Now(), what})
	t.mu.Unlock()
}

func (t *tracer) reset() { t.mu.Lock(); t.evs = nil; t.mu.Unlock() }

var stageNames = []string{"api before update", "update->wft at worker", "worker before LA", "LA (SyncInbox)",
	"worker after LA", "respond->api answer", "api after update", "GET inbox"}

func (t *tracer) stages(out map[string][]float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	at := map[string]time.Time{}
	for _, e := range t.evs {
		if _, ok := at[e.what]; !ok {
			at[e.what] = e.at
		}
	}
	var gets []time.Time
	for _, e := range t.evs {
		if e.what == "A http in GET" {
			gets = append(gets, e.at)
		}
	}
	pairs := [][3]string{
		{"api before update", "A http in POST", "A > UpdateWorkflowExecution"},
		{"update->wft at worker", "A > UpdateWorkflowExecution", "W < PollWorkflowTaskQueue err=false"},
		{"worker before LA", "W < PollWorkflowTaskQueue err=false", "W activity start"},
		{"LA (SyncInbox)", "W activity start", "W activity end"},
		{"worker after LA", "W activity end", "W > RespondWorkflowTaskCompleted"},
		{"respond->api answer", "W > RespondWorkflowTaskCompleted", "A < UpdateWorkflowExecution err=false"},
		{"api after update", "A < UpdateWorkflowExecution err=false", "A http out"},
	}
	for _, p := range pairs {
		a, ok1 := at[p[1]]
		b, ok2 := at[p[2]]
		if ok1 && ok2 {
			out[p[0]] = append(out[p[0]], float64(b.Sub(a).Microseconds())/1000)
		}
	}
	if len(gets) > 0 {
		var last time.Time
		for _, e := range t.evs {
			if e.what == "A http out" {
				last = e.at
			}
		}
		out["GET inbox"] = append(out["GET inbox"], float64(last.Sub(gets[0]).Microseconds())/1000)
	}
}

func (t *tracer) dump(t0 time.Time) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	evs := append([]tev(nil), t.evs...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "  %7.2f %s\n", float64(e.at.Sub(t0).Microseconds())/1000, e.what)
	}
	return b.String()
}

func (t *tracer) grpc(who string) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		m := method[strings.LastIndex(method, "/")+1:]
		long := strings.HasPrefix(m, "Poll") && !strings.Contains(m, "Update")
		if !long {
			t.add(who + " > " + m)
		}
		err := invoker(ctx, method, req, reply, cc, opts...)
		t.add(fmt.Sprintf("%s < %s err=%v", who, m, err != nil))
		return err
	}
}

type actTrace struct {
	interceptor.WorkerInterceptorBase
	t *tracer
}

func (a *actTrace) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &actIn{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, t: a.t}
}

func (a *actTrace) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &wfIn{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, t: a.t}
}

type wfIn struct {
	interceptor.WorkflowInboundInterceptorBase
	t *tracer
}

func (w *wfIn) ExecuteUpdate(ctx workflow.Context, in *interceptor.UpdateInput) (any, error) {
	if !workflow.IsReplaying(ctx) {
		w.t.add("W update handler start " + in.Name)
	}
	r, err := w.Next.ExecuteUpdate(ctx, in)
	if !workflow.IsReplaying(ctx) {
		w.t.add("W update handler end " + in.Name)
	}
	return r, err
}

type actIn struct {
	interceptor.ActivityInboundInterceptorBase
	t *tracer
}

func (a *actIn) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	a.t.add("W activity start")
	r, err := a.Next.ExecuteActivity(ctx, in)
	a.t.add("W activity end")
	return r, err
}

// TestR4Trace: BENCH_TRACE=1 go test -run TestR4Trace -v ./bench/
func TestR4Trace(t *testing.T) {
	if os.Getenv("BENCH_TRACE") == "" {
		t.Skip("BENCH_TRACE not set")
	}
	ctx := context.Background()
	root, err := devstack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	t.Log("starting stack")
	s, err := startStack(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("stack up")
	defer func() { _ = s.close() }()
	tr := &tracer{}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var trivial func(int, string) float64
	if os.Getenv("BENCH_TRACE_INPROC") != "" {
		// Replace the worker child with an in-process, instrumented worker.
		_ = s.worker.cmd.Process.Kill()
		<-s.worker.done //nolint:errcheck // killed: its exit error only says so
		s.worker = nil
		wc, err := client.DialContext(ctx, client.Options{HostPort: s.temporal.HostPort, Namespace: s.temporal.Namespace,
			Logger: sdklog.NewStructuredLogger(logger), ConnectionOptions: client.ConnectionOptions{
				DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(tr.grpc("W"))}}})
		if err != nil {
			t.Fatal(err)
		}
		defer wc.Close()
		acts := &activities.Activities{DB: s.db, Logger: logger}
		w := hworker.New(wc, workflows.TaskQueue, workflows.NewInterpreter(definitions.NewEngine()), acts,
			worker.Options{Interceptors: []interceptor.WorkerInterceptor{&actTrace{t: tr}}})
		baseline.Register(w)
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		tw := worker.New(wc, "trivial", worker.Options{})
		tw.RegisterWorkflowWithOptions(trivialWorkflow, workflow.RegisterOptions{Name: "trivial"})
		tw.RegisterActivityWithOptions(func(ctx context.Context) error { return nil }, activity.RegisterOptions{Name: "noopLA"})
		tw.RegisterActivityWithOptions(func(ctx context.Context) error {
			_, err := s.db.Pool().Exec(ctx, "select 1")
			return err
		}, activity.RegisterOptions{Name: "pgLA"})
		tw.RegisterActivityWithOptions(func(ctx context.Context) error {
			tx, err := s.db.Pool().Begin(ctx)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "select 1"); err != nil {
				return err
			}
			return tx.Commit(ctx)
		}, activity.RegisterOptions{Name: "pgTxLA"})
		if err := tw.Start(); err != nil {
			t.Fatal(err)
		}
		defer tw.Stop()
		trivialIDs := []string{}
		for i := 0; i < 4; i++ {
			id := fmt.Sprintf("trivial-%d", i)
			if _, err := wc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "trivial"}, "trivial"); err != nil {
				t.Fatal(err)
			}
			trivialIDs = append(trivialIDs, id)
		}
		trivial = func(round int, k string) float64 {
			t0 := time.Now()
			h, err := wc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: trivialIDs[round%4], UpdateName: k,
				WaitForStage: client.WorkflowUpdateStageCompleted})
			if err == nil {
				err = h.Get(ctx, nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			return float64(time.Since(t0).Microseconds()) / 1000
		}
	}
	ac, err := client.DialContext(ctx, client.Options{HostPort: s.temporal.HostPort, Namespace: s.temporal.Namespace,
		Logger: sdklog.NewStructuredLogger(logger), ConnectionOptions: client.ConnectionOptions{
			DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(tr.grpc("A"))}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := api.New(api.Config{Namespace: s.temporal.Namespace, Secrets: s.box}, s.db, ac, s.engine, logger)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.add("A http in " + r.Method)
		h.ServeHTTP(w, r)
		tr.add("A http out")
	})}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()
	url := "http://" + ln.Addr().String()

	sc := loadOrFail(t)["linear"]
	if _, _, err := api.Publish(ctx, s.db, sc.source, "bench"); err != nil {
		t.Fatal(err)
	}
	c := newAPIClient(url, 4)
	owners := userIDs("tr", 4)
	if err := addUsers(ctx, s.db, c, owners, "member", nil); err != nil {
		t.Fatal(err)
	}
	b := &bencher{s: s, d: &driver{s: s}}
	t.Log("driving")
	var upd, tot []float64
	kinds := []string{"noop", "noopLA", "pgTxLA", "upsert", "noopLA+upsert"}
	lat := map[string][]float64{}
	stages := map[string][]float64{}
	n := 0
	var lastRuns []string
	for round := 0; round < 10; round++ {
		for _, o := range owners {
			sl := &slot{owner: o}
			if err := b.startFor(ctx, c, sc, interpreted, sl); err != nil {
				t.Fatal(err)
			}
			lastRuns = append(lastRuns, strings.SplitN(sl.task, ".", 2)[0])
			for i := 0; i < 4; i++ {
				time.Sleep(200 * time.Millisecond)
				data, _ := sc.answer("")
				var res completeJSON
				tr.reset()
				t0 := time.Now()
				if _, err := c.do(ctx, o, "POST", "/v1/tasks/"+sl.task+"/complete", map[string]any{"data": data}, &res); err != nil {
					t.Fatal(err)
				}
				t1 := time.Now()
				upd = append(upd, float64(t1.Sub(t0).Microseconds())/1000)
				next := res.Run.OpenTasks[0].ID
				for {
					var inbox inboxJSON
					if _, err := c.do(ctx, o, "GET", "/v1/tasks?assignee=me&status=open", nil, &inbox); err != nil {
						t.Fatal(err)
					}
					if slices.ContainsFunc(inbox.Tasks, func(t taskJSON) bool { return t.ID == next }) {
						break
					}
				}
				tot = append(tot, float64(time.Since(t0).Microseconds())/1000)
				tr.stages(stages)
				if trivial != nil {
					for _, k := range kinds {
						time.Sleep(50 * time.Millisecond)
						lat[k] = append(lat[k], trivial(n, k))
					}
				}
				n++
				if round >= 8 && i == 2 {
					t.Logf("completion %s: update %.2f ms\n%s", sl.task, upd[len(upd)-1], tr.dump(t0))
				}
				sl.task = next
			}
		}
	}
	for _, k := range kinds {
		t.Logf("trivial update %-14s p50 %.2f p90 %.2f ms", k, percentile(lat[k], 50), percentile(lat[k], 90))
	}
	for _, k := range stageNames {
		t.Logf("stage %-22s p50 %.2f p90 %.2f ms (n=%d)", k, percentile(stages[k], 50), percentile(stages[k], 90), len(stages[k]))
	}
	t.Logf("update p50 %.1f p90 %.1f; total p50 %.1f p90 %.1f", percentile(upd, 50), percentile(upd, 90), percentile(tot, 50), percentile(tot, 90))
	// History of the last run, with event times.
	run := lastRuns[len(lastRuns)-1]
	it := s.tc.GetWorkflowHistory(ctx, run, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var first time.Time
	var sb strings.Builder
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		at := e.GetEventTime().AsTime()
		if first.IsZero() {
			first = at
		}
		fmt.Fprintf(&sb, "  %3d %9.2f %s\n", e.GetEventId(), float64(at.Sub(first).Microseconds())/1000, e.GetEventType())
	}
	t.Logf("history of %s:\n%s", run, sb.String())
}

func trivialWorkflow(ctx workflow.Context) error {
	la := func(ctx workflow.Context, name string) error {
		ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
		return workflow.ExecuteLocalActivity(ctx, name).Get(ctx, nil)
	}
	n := 0
	upsert := func(ctx workflow.Context) error {
		n++
		return workflow.UpsertTypedSearchAttributes(ctx, workflows.AttrOpenSteps.ValueSet([]string{fmt.Sprint(n)}))
	}
	handlers := map[string]func(ctx workflow.Context) error{
		"noop":   func(ctx workflow.Context) error { return nil },
		"noopLA": func(ctx workflow.Context) error { return la(ctx, "noopLA") },
		"pgLA":   func(ctx workflow.Context) error { return la(ctx, "pgLA") },
		"pgTxLA": func(ctx workflow.Context) error { return la(ctx, "pgTxLA") },
		"upsert": upsert,
		"noopLA+upsert": func(ctx workflow.Context) error {
			if err := la(ctx, "noopLA"); err != nil {
				return err
			}
			return upsert(ctx)
		},
	}
	for name, h := range handlers {
		if err := workflow.SetUpdateHandler(ctx, name, h); err != nil {
			return err
		}
	}
	return workflow.Await(ctx, func() bool { return false })
}

func loadOrFail(t *testing.T) map[string]*scenario {
	sc, err := loadScenarios()
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// BENCH_TRACE=1 go test -run TestTrivialUpdate -v ./bench/
func TestTrivialUpdate(t *testing.T) {
	if os.Getenv("BENCH_TRACE") == "" {
		t.Skip("BENCH_TRACE not set")
	}
	ctx := context.Background()
	root, _ := devstack.RepoRoot()
	cli, err := devstack.EnsureTemporalCLI(ctx, root+"/.bin", os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	port := 40000 + time.Now().Nanosecond()%20000
	args := []string{"--dynamic-config-value", "history.transferProcessorMaxPollRPS=10000",
		"--dynamic-config-value", "matching.numTaskqueueReadPartitions=1",
		"--dynamic-config-value", "matching.numTaskqueueWritePartitions=1",
		"--search-attribute", "HandoffOpenSteps=KeywordList"}
	if v := os.Getenv("TRIV_ARGS"); v != "" {
		for _, a := range strings.Fields(v) {
			args = append(args, "--dynamic-config-value", a)
		}
	}
	ds, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{ExistingPath: cli, LogLevel: "warn", ExtraArgs: args,
		ClientOptions: &client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", port)}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ds.Stop() }()
	tr := &tracer{}
	co := client.ConnectionOptions{DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(tr.grpc("W"))}}
	if os.Getenv("TRIV_NOGZIP") != "" {
		co.GrpcCompression = &client.GrpcCompressionNone{}
	}
	wc, err := client.DialContext(ctx, client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", port), ConnectionOptions: co})
	if err != nil {
		t.Fatal(err)
	}
	defer wc.Close()
	wo := worker.Options{}
	if v, _ := strconv.Atoi(os.Getenv("TRIV_POLLERS")); v > 0 {
		wo.MaxConcurrentWorkflowTaskPollers = v
	}
	if os.Getenv("TRIV_NOSTICKY") != "" {
		worker.SetStickyWorkflowCacheSize(0)
	}
	sleep := 30 * time.Millisecond
	if v, err := time.ParseDuration(os.Getenv("TRIV_SLEEP")); err == nil {
		sleep = v
	}
	tw := worker.New(wc, "trivial", wo)
	tw.RegisterWorkflowWithOptions(trivialWorkflow, workflow.RegisterOptions{Name: "trivial"})
	tw.RegisterActivityWithOptions(func(ctx context.Context) error { return nil }, activity.RegisterOptions{Name: "noopLA"})
	if err := tw.Start(); err != nil {
		t.Fatal(err)
	}
	defer tw.Stop()
	for i := 0; i < 4; i++ {
		if _, err := wc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("trivial-%d", i), TaskQueue: "trivial"}, "trivial"); err != nil {
			t.Fatal(err)
		}
	}
	kinds := []string{"noop", "noopLA", "upsert", "noopLA+upsert"}
	lat := map[string][]float64{}
	for round := 0; round < 60; round++ {
		for _, k := range kinds {
			time.Sleep(sleep)
			tr.reset()
			t0 := time.Now()
			h, err := wc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: fmt.Sprintf("trivial-%d", round%4), UpdateName: k,
				WaitForStage: client.WorkflowUpdateStageCompleted})
			if err == nil {
				err = h.Get(ctx, nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			lat[k] = append(lat[k], float64(time.Since(t0).Microseconds())/1000)
			tr.mu.Lock()
			at := map[string]time.Time{}
			for _, e := range tr.evs {
				if _, ok := at[e.what]; !ok {
					at[e.what] = e.at
				}
			}
			tr.mu.Unlock()
			if p, ok := at["W < PollWorkflowTaskQueue err=false"]; ok {
				lat[k+" dispatch"] = append(lat[k+" dispatch"], float64(p.Sub(t0).Microseconds())/1000)
				if r, ok := at["W > RespondWorkflowTaskCompleted"]; ok {
					lat[k+" worker"] = append(lat[k+" worker"], float64(r.Sub(p).Microseconds())/1000)
					lat[k+" respond"] = append(lat[k+" respond"], float64(time.Since(r).Microseconds())/1000-float64(time.Since(t0).Microseconds())/1000+lat[k][len(lat[k])-1])
				}
			}
		}
	}
	for _, k := range kinds {
		for _, sfx := range []string{"", " dispatch", " worker", " respond"} {
			t.Logf("trivial update %-22s p50 %.2f p90 %.2f ms", k+sfx, percentile(lat[k+sfx], 50), percentile(lat[k+sfx], 90))
		}
	}
}
