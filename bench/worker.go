package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // the worker child serves its profiles on loopback
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/handoffhq/handoff/activities"
	"github.com/handoffhq/handoff/bench/baseline"
	"github.com/handoffhq/handoff/bench/minimal"
	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/internal/safehttp"
	"github.com/handoffhq/handoff/postgres"
	hworker "github.com/handoffhq/handoff/worker"
	"github.com/handoffhq/handoff/workflows"
)

// WorkerCommand is the first argument that makes the bench binary run as the worker child.
const WorkerCommand = "worker"

// Environment of the worker child.
const (
	envWorkerDB        = "BENCH_WORKER_DATABASE_URL"
	envWorkerTemporal  = "BENCH_WORKER_TEMPORAL_ADDRESS"
	envWorkerNamespace = "BENCH_WORKER_NAMESPACE"
	envWorkerAllow     = "BENCH_WORKER_HTTP_ALLOW"
	// envWorkerHeapRate, when set, is the child's runtime.MemProfileRate (bytes per
	// heap-profile sample), for heap profiles fine enough to split per run.
	envWorkerHeapRate = "BENCH_WORKER_HEAP_PROFILE_RATE"
)

// RunWorker is the worker child: Handoff's worker exactly as `handoff worker` builds it
// (interpreter and activities on workflows.TaskQueue), with the hand-written workflows
// and the minimal ones registered beside the interpreter under their own names. It
// prints "ready <pprof address>" on out once polling and runs until ctx is done. Beside
// net/http/pprof it serves /debug/bench/memory (memoryPath).
func RunWorker(ctx context.Context, getenv func(string) string, out io.Writer) error {
	if rate, err := strconv.Atoi(getenv(envWorkerHeapRate)); err == nil && rate > 0 {
		runtime.MemProfileRate = rate
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := postgres.Open(ctx, getenv(envWorkerDB))
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	defer db.Close()
	tc, err := client.DialContext(ctx, client.Options{HostPort: getenv(envWorkerTemporal),
		Namespace: getenv(envWorkerNamespace), Logger: sdklog.NewStructuredLogger(logger)})
	if err != nil {
		return fmt.Errorf("connect to temporal: %w", err)
	}
	defer tc.Close()
	allow, err := safehttp.ParseAllow(getenv(envWorkerAllow))
	if err != nil {
		return fmt.Errorf("parse the http allowlist: %w", err)
	}
	httpCfg := safehttp.Config{Allow: allow}.WithDefaults()
	acts := &activities.Activities{DB: db, Logger: logger, HTTP: safehttp.NewClient(httpCfg), HTTPMaxBody: httpCfg.MaxBodyBytes}
	w := hworker.New(tc, workflows.TaskQueue, workflows.NewInterpreter(definitions.NewEngine()), acts, worker.Options{})
	baseline.Register(w)
	minimal.Register(w)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen for pprof: %w", err)
	}
	http.HandleFunc(memoryPath, serveMemory)
	srv := &http.Server{Handler: http.DefaultServeMux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }() // the worker is exiting
	fmt.Fprintf(out, "ready %s\n", ln.Addr())
	<-ctx.Done()
	return nil
}

// memoryPath answers the worker's memory after a full garbage collection (workerMemory).
const memoryPath = "/debug/bench/memory"

// workerMemory is what the worker holds: the live heap and the goroutine stacks after a
// full collection that also returned free memory to the OS, and its resident size then.
type workerMemory struct {
	Heap   uint64 `json:"heap"`
	Stacks uint64 `json:"stacks"`
	RSS    int64  `json:"rss"`
}

func serveMemory(w http.ResponseWriter, _ *http.Request) {
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, err := processRSS(os.Getpid())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(workerMemory{Heap: ms.HeapAlloc, Stacks: ms.StackInuse, RSS: rss})
}

// memory asks the worker child for its memory after a full collection.
func (p *workerProc) memory(ctx context.Context) (workerMemory, error) {
	var m workerMemory
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.pprof+memoryPath, nil)
	if err != nil {
		return m, fmt.Errorf("read worker memory: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return m, fmt.Errorf("read worker memory: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return m, fmt.Errorf("read worker memory: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return m, fmt.Errorf("read worker memory: %w", err)
	}
	return m, nil
}

// workerProc is the running worker child.
type workerProc struct {
	cmd   *exec.Cmd
	pprof string // host:port of its net/http/pprof
	done  chan error
}

// startWorker starts the bench binary itself as the worker child and waits until it polls.
func startWorker(ctx context.Context, cfg workerEnv, logw io.Writer) (*workerProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the bench binary: %w", err)
	}
	cmd := exec.Command(exe, WorkerCommand)
	cmd.Env = append(os.Environ(), envWorkerDB+"="+cfg.databaseURL, envWorkerTemporal+"="+cfg.temporal,
		envWorkerNamespace+"="+cfg.namespace, envWorkerAllow+"="+cfg.allow)
	if cfg.heapRate > 0 {
		cmd.Env = append(cmd.Env, envWorkerHeapRate+"="+strconv.Itoa(cfg.heapRate))
	}
	cmd.Stderr = logw
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	p := &workerProc{cmd: cmd, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "ready "); ok {
				ready <- addr
			}
		}
		p.done <- cmd.Wait()
	}()
	select {
	case p.pprof = <-ready:
		return p, nil
	case err := <-p.done:
		return nil, fmt.Errorf("worker exited before it was ready: %v", err)
	case <-time.After(2 * time.Minute):
	case <-ctx.Done():
	}
	_ = cmd.Process.Kill()
	<-p.done //nolint:errcheck // killed: its exit error only says so
	return nil, errors.New("worker did not get ready")
}

// workerEnv is what the child is told; heapRate, when positive, is its runtime.MemProfileRate.
type workerEnv struct {
	databaseURL, temporal, namespace, allow string
	heapRate                                int
}

func (p *workerProc) pid() int { return p.cmd.Process.Pid }

// cpu is the CPU time the worker has used so far.
func (p *workerProc) cpu() (time.Duration, error) { return processCPU(p.pid()) }

// rss is the worker's resident memory.
func (p *workerProc) rss() (int64, error) { return processRSS(p.pid()) }

// stop asks the worker to finish (SIGTERM) and waits for it; it is killed after 30 s.
func (p *workerProc) stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop worker: %w", err)
	}
	select {
	case err := <-p.done:
		var exit *exec.ExitError
		if errors.As(err, &exit) && !exit.Exited() {
			return nil
		}
		return err
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done //nolint:errcheck // killed: its exit error only says so
		return errors.New("stop worker: killed after 30 s")
	}
}

// profile fetches a CPU profile of the worker over d into path.
func (p *workerProc) profile(ctx context.Context, d time.Duration, path string) error {
	return p.fetchProfile(ctx, fmt.Sprintf("profile?seconds=%d", int(d.Seconds())), path)
}

// heapProfile fetches a heap profile of the worker, after a collection, into path.
func (p *workerProc) heapProfile(ctx context.Context, path string) error {
	return p.fetchProfile(ctx, "heap?gc=1", path)
}

// fetchProfile fetches /debug/pprof/<what> from the worker into path.
func (p *workerProc) fetchProfile(ctx context.Context, what, path string) error {
	url := fmt.Sprintf("http://%s/debug/pprof/%s", p.pprof, what)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("profile worker: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("profile worker: %w", err)
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("profile worker: %w", err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return fmt.Errorf("profile worker: %w", err)
	}
	return f.Close()
}
