// Package testenv is the test harness: it starts the Temporal dev server,
// a PostgreSQL cluster and Chromium once per test binary, on first use, and
// stops them when the tests end. Every package whose tests use it declares
//
//	func TestMain(m *testing.M) { testenv.Run(m) }
package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoffhq/handoff/internal/devstack"
)

// SearchAttributes lists the six Handoff search attributes the dev server
// registers.
var SearchAttributes = devstack.HandoffSearchAttributes

// startTimeout bounds starting a server, including a first-time install of
// the Temporal CLI (a few minutes).
const startTimeout = 15 * time.Minute

var (
	running atomic.Bool // set by Run

	mu       sync.Mutex
	temporal *devstack.Temporal
	tempErr  error
	cluster  *devstack.Postgres
	pgDir    string
	admin    *adminDB
	pgErr    error
)

// Run runs the tests, stops every server this package started, runs the
// optional checks (e.g. goleak.Find, which must run after the servers'
// clients are closed) and exits with the tests' status:
//
//	func TestMain(m *testing.M) { testenv.Run(m, func() error { return goleak.Find() }) }
func Run(m *testing.M, checks ...func() error) {
	running.Store(true)
	code := m.Run()
	errs := []error{stopAll()}
	for _, check := range checks {
		errs = append(errs, check())
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func stopAll() error {
	mu.Lock()
	defer mu.Unlock()
	var errs []error
	if admin != nil {
		admin.close()
		admin = nil
	}
	if temporal != nil {
		errs = append(errs, temporal.Stop())
		temporal = nil
	}
	if cluster != nil {
		errs = append(errs, cluster.Stop())
		cluster = nil
	}
	if pgDir != "" {
		errs = append(errs, os.RemoveAll(pgDir))
		pgDir = ""
	}
	browserMu.Lock()
	errs = append(errs, stopBrowser())
	browserMu.Unlock()
	return errors.Join(errs...)
}

func requireRun(t testing.TB) {
	t.Helper()
	if !running.Load() {
		t.Fatal("testenv: declare `func TestMain(m *testing.M) { testenv.Run(m) }` so the servers are stopped after the tests")
	}
}

// Temporal returns the package-wide dev server (in memory, headless, with
// the Handoff search attributes and the tuned dynamic config), starting it on
// first use. The CLI is <repo root>/.bin/temporal, installed when missing.
func Temporal(t testing.TB) *devstack.Temporal {
	t.Helper()
	requireRun(t)
	mu.Lock()
	defer mu.Unlock()
	if temporal == nil && tempErr == nil {
		temporal, tempErr = startTemporal()
	}
	if tempErr != nil {
		t.Fatalf("testenv: %v", tempErr)
	}
	return temporal
}

func startTemporal() (*devstack.Temporal, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	root, err := devstack.RepoRoot()
	if err != nil {
		return nil, err
	}
	cli, err := devstack.EnsureTemporalCLI(ctx, filepath.Join(root, ".bin"), os.Stderr)
	if err != nil {
		return nil, err
	}
	return devstack.StartTemporal(ctx, devstack.TemporalOptions{
		CLIPath:          cli,
		SearchAttributes: devstack.HandoffSearchAttributes,
	})
}
