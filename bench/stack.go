package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"go.temporal.io/sdk/client"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/internal/devstack"
	"github.com/handoffhq/handoff/internal/secrets"
	"github.com/handoffhq/handoff/postgres"
)

// stack is every server one benchmark run uses: the tuned in-memory Temporal dev server,
// a PostgreSQL cluster (fsync off, as in the tests), the worker child, the API on
// loopback, and an HTTP sink for http steps.
type stack struct {
	dir      string
	logw     *os.File // servers.log in dir
	temporal *devstack.Temporal
	pg       *devstack.Postgres
	db       *postgres.DB
	tc       client.Client
	engine   *definitions.Engine
	box      *secrets.Box
	worker   *workerProc
	wenv     workerEnv
	api      *servedAPI
	apiURL   string
	sink     *sink
}

// startStack starts everything. root is the repository root (for .bin/temporal).
func startStack(ctx context.Context, root string) (_ *stack, err error) {
	s := &stack{engine: definitions.NewEngine()}
	defer func() {
		if err != nil {
			_ = s.close() // err, the reason the start failed, is what the caller needs
		}
	}()
	if s.dir, err = os.MkdirTemp("", "handoff-bench-"); err != nil {
		return nil, fmt.Errorf("create a work folder: %w", err)
	}
	if s.logw, err = os.Create(filepath.Join(s.dir, "servers.log")); err != nil {
		return nil, fmt.Errorf("create the server log: %w", err)
	}
	cli, err := devstack.EnsureTemporalCLI(ctx, filepath.Join(root, ".bin"), os.Stderr)
	if err != nil {
		return nil, err
	}
	s.temporal, err = devstack.StartTemporal(ctx, devstack.TemporalOptions{CLIPath: cli,
		SearchAttributes: devstack.HandoffSearchAttributes, Log: s.logw})
	if err != nil {
		return nil, err
	}
	s.tc = s.temporal.Client()
	s.pg, err = devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: filepath.Join(s.dir, "pg"),
		Database: "handoff", Fast: true, Log: s.logw})
	if err != nil {
		return nil, err
	}
	if s.db, err = openMigrated(ctx, s.pg.URL); err != nil {
		return nil, err
	}
	if s.box, err = secrets.NewBox(make([]byte, secrets.KeySize)); err != nil {
		return nil, err
	}
	if s.sink, err = startSink(); err != nil {
		return nil, err
	}
	s.wenv = workerEnv{databaseURL: s.pg.URL, temporal: s.temporal.HostPort, namespace: s.temporal.Namespace,
		allow: "127.0.0.1:" + strconv.Itoa(s.sink.port)}
	if s.worker, err = startWorker(ctx, s.wenv, s.logw); err != nil {
		return nil, err
	}
	if s.api, s.apiURL, err = s.serveAPI(s.db, api.Config{}); err != nil {
		return nil, err
	}
	return s, nil
}

func openMigrated(ctx context.Context, url string) (*postgres.DB, error) {
	db, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return db, nil
}

// servedAPI is Handoff's API served on a loopback port.
type servedAPI struct {
	srv *http.Server
	api *api.Server
}

func (a *servedAPI) Close() error { return a.srv.Close() }

// serveAPI serves Handoff's API over db on a loopback port, as `handoff serve` does.
func (s *stack) serveAPI(db *postgres.DB, cfg api.Config) (*servedAPI, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("listen for the api: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(s.logw, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg.Namespace, cfg.Secrets = s.temporal.Namespace, s.box
	h := api.New(cfg, db, s.tc, s.engine, logger)
	a := &servedAPI{srv: &http.Server{Handler: h}, api: h}
	go func() { _ = a.srv.Serve(ln) }()
	return a, "http://" + ln.Addr().String(), nil
}

// restartWorker replaces the worker child with a fresh one (empty caches, fresh memory).
func (s *stack) restartWorker(ctx context.Context) error {
	if err := s.worker.stop(); err != nil {
		return err
	}
	w, err := startWorker(ctx, s.wenv, s.logw)
	if err != nil {
		return err
	}
	s.worker = w
	return nil
}

// serverPID is the dev server's process id.
func (s *stack) serverPID() (int, error) { return childWithArg("start-dev") }

// close stops everything that was started, in reverse order, and removes the work folder.
func (s *stack) close() error {
	var errs []error
	if s.api != nil {
		errs = append(errs, s.api.Close())
	}
	if s.worker != nil {
		errs = append(errs, s.worker.stop())
	}
	if s.sink != nil {
		errs = append(errs, s.sink.close())
	}
	if s.db != nil {
		s.db.Close()
	}
	if s.pg != nil {
		errs = append(errs, s.pg.Stop())
	}
	if s.temporal != nil {
		errs = append(errs, s.temporal.Stop())
	}
	if s.logw != nil {
		errs = append(errs, s.logw.Close())
	}
	if s.dir != "" {
		errs = append(errs, os.RemoveAll(s.dir))
	}
	return errors.Join(errs...)
}

// logTail returns the end of the server log, for error messages.
func (s *stack) logTail() string {
	if s.logw == nil {
		return ""
	}
	f, err := os.Open(s.logw.Name())
	if err != nil {
		return ""
	}
	defer func() { _ = f.Close() }() // opened for reading
	info, err := f.Stat()
	if err != nil {
		return ""
	}
	const tail = 4000
	if info.Size() > tail {
		_, _ = f.Seek(info.Size()-tail, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}
