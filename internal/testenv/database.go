package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/handoffhq/handoff/internal/devstack"
)

// DatabaseURLEnv names an existing server to create test databases on
// instead of starting a cluster. It must be a postgres:// URL of a role
// allowed to CREATE DATABASE.
const DatabaseURLEnv = "HANDOFF_TEST_DATABASE_URL"

var dbSeq atomic.Int64

// DatabaseURL returns the URL of a fresh, empty database for this test,
// dropped (WITH (FORCE)) when the test ends. Databases live on a
// package-wide cluster started on first use in a temporary folder, or on the
// server named by HANDOFF_TEST_DATABASE_URL.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	requireRun(t)
	a := adminFor(t)
	name := uniqueName()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := a.pool.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0"); err != nil {
		t.Fatalf("testenv: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := a.pool.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
	})
	u := *a.url
	u.Path = "/" + name
	return u.String()
}

// uniqueName is unique across test binaries sharing one server.
func uniqueName() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("handoff_test_%d_%d_%s", os.Getpid(), dbSeq.Add(1), hex.EncodeToString(b[:]))
}

// adminDB is a pool on the server's maintenance database.
type adminDB struct {
	url  *url.URL
	pool *pgxpool.Pool
}

func (a *adminDB) close() { a.pool.Close() }

func adminFor(t testing.TB) *adminDB {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if admin == nil && pgErr == nil {
		admin, pgErr = startAdmin()
	}
	if pgErr != nil {
		t.Fatalf("testenv: %v", pgErr)
	}
	return admin
}

func startAdmin() (*adminDB, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	raw := os.Getenv(DatabaseURLEnv)
	if raw == "" {
		dir, err := os.MkdirTemp("", "handoff-testenv-pg-")
		if err != nil {
			return nil, fmt.Errorf("start postgres: %w", err)
		}
		pgDir = dir
		// Says so when it installs the server binaries; initdb and pg_ctl
		// chatter is dropped (their errors carry the last lines).
		if _, err := devstack.EnsurePostgres(ctx, os.Stderr); err != nil {
			return nil, err
		}
		cluster, err = devstack.StartPostgres(ctx, devstack.PostgresOptions{
			Dir:      dir,
			Database: "postgres",
			Fast:     true,
		})
		if err != nil {
			return nil, err
		}
		raw = cluster.URL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("%s must be a postgres:// URL, got %q", DatabaseURLEnv, raw)
	}
	pool, err := pgxpool.New(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", u.Redacted(), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s: %w", u.Redacted(), err)
	}
	return &adminDB{url: u, pool: pool}, nil
}
