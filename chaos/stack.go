package chaos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/handoffhq/handoff/internal/devstack"
	"github.com/handoffhq/handoff/internal/secrets"
)

// maxInFlight is the API's HANDOFF_MAX_INFLIGHT in the chaos stack: low enough that F13's
// overload reaches it on a 2-core machine.
const maxInFlight = 64

// stack is every process and server of a chaos run.
type stack struct {
	dir  string
	logw *os.File // servers.log: every child's output
	bin  string   // the handoff binary built for this run

	pg       *devstack.Postgres
	db       *pgxpool.Pool // the oracle's own connection
	tOpts    devstack.TemporalOptions
	temporal *proc
	tc       client.Client // the oracle's own Temporal client, never through the proxy
	proxy    *proxy        // the worker's way to Temporal
	sink     *sink
	worker   *proc
	api      *proc
	apiURL   string
	env      []string // what every handoff process is told
}

// startStack builds the binary and starts Postgres, Temporal, the proxy, the sink, the
// worker and the API, in that order.
func startStack(ctx context.Context, root string, logf func(string, ...any)) (_ *stack, err error) {
	s := &stack{}
	defer func() {
		if err != nil {
			_ = s.close(false)
		}
	}()
	if s.dir, err = os.MkdirTemp("", "handoff-chaos-"); err != nil {
		return nil, fmt.Errorf("create a work folder: %w", err)
	}
	if s.logw, err = os.Create(filepath.Join(s.dir, "servers.log")); err != nil {
		return nil, fmt.Errorf("create the server log: %w", err)
	}
	logf("work folder %s; building the handoff binary", s.dir)
	if err := s.build(ctx, root); err != nil {
		return nil, err
	}
	cli, err := devstack.EnsureTemporalCLI(ctx, filepath.Join(root, ".bin"), os.Stderr)
	if err != nil {
		return nil, err
	}
	logf("starting PostgreSQL and the Temporal dev server (file-backed)")
	if s.pg, err = devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: filepath.Join(s.dir, "pg"), Log: s.logw}); err != nil {
		return nil, err
	}
	if s.db, err = pgxpool.New(ctx, s.pg.URL); err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s.tOpts = devstack.TemporalOptions{CLIPath: cli, DBFile: filepath.Join(s.dir, "temporal.db"),
		HostPort: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), SearchAttributes: devstack.HandoffSearchAttributes}
	if err := s.startTemporal(ctx); err != nil {
		return nil, err
	}
	if s.tc, err = client.DialContext(ctx, client.Options{HostPort: s.tOpts.HostPort,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(s.logw, &slog.HandlerOptions{Level: slog.LevelError})))}); err != nil {
		return nil, fmt.Errorf("connect to temporal: %w", err)
	}
	if s.proxy, err = startProxy(s.tOpts.HostPort); err != nil {
		return nil, err
	}
	if s.sink, err = startSink(); err != nil {
		return nil, err
	}
	if err := s.configure(ctx); err != nil {
		return nil, err
	}
	logf("starting the worker and the API")
	if err := s.startWorker(ctx); err != nil {
		return nil, err
	}
	if err := s.startAPI(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// build compiles the handoff binary the children run.
func (s *stack) build(ctx context.Context, root string) error {
	s.bin = filepath.Join(s.dir, "handoff")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", s.bin, "./cmd/handoff")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build handoff: %w: %s", err, out)
	}
	return nil
}

// configure writes the environment of the children and applies the migrations.
func (s *stack) configure(ctx context.Context) error {
	apiPort, err := freePort()
	if err != nil {
		return err
	}
	s.apiURL = fmt.Sprintf("http://127.0.0.1:%d", apiPort)
	s.env = []string{
		"HANDOFF_DATABASE_URL=" + s.pg.URL,
		"TEMPORAL_NAMESPACE=default",
		"HANDOFF_HTTP_ADDR=" + strings.TrimPrefix(s.apiURL, "http://"),
		"HANDOFF_HTTP_ALLOW=127.0.0.1:" + strconv.Itoa(s.sink.port),
		"HANDOFF_SECRETS_KEY=" + secrets.NewKey(),
		"HANDOFF_LOG_FORMAT=json",
		"HANDOFF_LOG_LEVEL=info",
		"HANDOFF_METRICS=off",
		"HANDOFF_MAX_INFLIGHT=" + strconv.Itoa(maxInFlight),
	}
	_, err = s.handoff(ctx, "migrate")
	return err
}

// handoff runs a handoff subcommand to its end and returns what it printed.
func (s *stack) handoff(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Env = append(os.Environ(), s.env...)
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return "", fmt.Errorf("handoff %s: %w: %s", strings.Join(args, " "), err, exit.Stderr)
		}
		return "", fmt.Errorf("handoff %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

// startTemporal runs the dev server on the stack's file and port and waits until it answers.
func (s *stack) startTemporal(ctx context.Context) error {
	args, err := devstack.DevServerArgs(s.tOpts)
	if err != nil {
		return err
	}
	if s.temporal, err = startProc(ctx, "temporal", s.tOpts.CLIPath, args, nil, s.logw, ""); err != nil {
		return err
	}
	return waitFor(ctx, time.Minute, "the Temporal dev server", func() bool {
		conn, err := net.DialTimeout("tcp", s.tOpts.HostPort, time.Second)
		if err != nil {
			return false
		}
		_ = conn.Close()
		if s.tc == nil {
			return true
		}
		_, err = s.tc.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err == nil
	})
}

// startWorker runs `handoff worker` through the proxy; extra adds settings (F11's cache).
func (s *stack) startWorker(ctx context.Context, extra ...string) (err error) {
	env := append(append([]string{"TEMPORAL_ADDRESS=" + s.proxy.addr()}, s.env...), extra...)
	s.worker, err = startProc(ctx, "worker", s.bin, []string{"worker"}, env, s.logw, "worker polling")
	return err
}

// startAPI runs `handoff serve` on the stack's fixed port, straight to Temporal.
func (s *stack) startAPI(ctx context.Context) (err error) {
	env := append([]string{"TEMPORAL_ADDRESS=" + s.tOpts.HostPort}, s.env...)
	s.api, err = startProc(ctx, "api", s.bin, []string{"serve"}, env, s.logw, "api listening")
	return err
}

// close stops everything in reverse order; the work folder stays when keep is set.
func (s *stack) close(keep bool) error {
	var errs []error
	for _, p := range []*proc{s.api, s.worker} {
		if p != nil {
			errs = append(errs, p.stop())
		}
	}
	if s.proxy != nil {
		errs = append(errs, s.proxy.close())
	}
	if s.sink != nil {
		errs = append(errs, s.sink.close())
	}
	if s.tc != nil {
		s.tc.Close()
	}
	if s.temporal != nil {
		errs = append(errs, s.temporal.stop())
	}
	if s.db != nil {
		s.db.Close()
	}
	if s.pg != nil {
		errs = append(errs, s.pg.Stop())
	}
	if s.logw != nil {
		errs = append(errs, s.logw.Close())
	}
	if s.dir != "" && !keep {
		errs = append(errs, os.RemoveAll(s.dir))
	}
	return errors.Join(errs...)
}

// logTail is the end of the server log, for error messages.
func (s *stack) logTail() string {
	if s.logw == nil {
		return ""
	}
	b, err := os.ReadFile(s.logw.Name())
	if err != nil {
		return ""
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// waitFor polls cond every 100 ms until it holds, at most d.
func waitFor(ctx context.Context, d time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", d, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
