package devstack

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

func testLog(t testing.TB) io.Writer {
	if testing.Verbose() {
		return os.Stderr
	}
	return io.Discard
}

func TestStartPostgres(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "pg")

	began := time.Now()
	pg, err := StartPostgres(ctx, PostgresOptions{Dir: dir, Fast: true, Log: testLog(t)})
	require.NoError(t, err)
	t.Logf("first start (initdb + start + create database): %s", time.Since(began))
	t.Cleanup(func() { _ = pg.Stop() })
	require.Equal(t, dir, pg.Dir)
	require.Contains(t, pg.URL, "/handoff?sslmode=disable")
	requireSelect1(ctx, t, pg.URL)

	// The cluster is kept across runs, and a server left running by a crashed
	// run (here: never stopped) is stopped and the folder reused.
	began = time.Now()
	again, err := StartPostgres(ctx, PostgresOptions{Dir: dir, Database: "other", Log: testLog(t)})
	require.NoError(t, err)
	t.Logf("restart over a stale server: %s", time.Since(began))
	t.Cleanup(func() { _ = again.Stop() })
	requireSelect1(ctx, t, again.URL)
	requireSelect1(ctx, t, "postgres://postgres@127.0.0.1:"+strconv.Itoa(again.Port)+"/handoff?sslmode=disable")

	require.NoError(t, again.Stop())
	require.NoError(t, again.Stop(), "Stop is idempotent")
	_, err = pgx.Connect(ctx, again.URL)
	require.Error(t, err, "server still answers after Stop")

	// Fixed port.
	port, err := freePort()
	require.NoError(t, err)
	fixed, err := StartPostgres(ctx, PostgresOptions{Dir: dir, Port: port, Log: testLog(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = fixed.Stop() })
	require.Equal(t, port, fixed.Port)
	requireSelect1(ctx, t, fixed.URL)
	require.NoError(t, fixed.Stop())
}

func TestEnsurePostgres(t *testing.T) {
	t.Parallel()
	dir, err := EnsurePostgres(context.Background(), testLog(t))
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(dir, "initdb"))
	require.FileExists(t, filepath.Join(dir, "pg_ctl"))
}

func requireSelect1(ctx context.Context, t testing.TB, url string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var one int
	require.NoError(t, conn.QueryRow(ctx, "select 1").Scan(&one))
	require.Equal(t, 1, one)
}

// TestRestartImmediate: a crash-like restart keeps committed rows and the server
// answers again on the same port.
func TestRestartImmediate(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pg, err := StartPostgres(ctx, PostgresOptions{Dir: filepath.Join(t.TempDir(), "pg"), Log: testLog(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = pg.Stop() })
	conn, err := pgx.Connect(ctx, pg.URL)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")
	require.NoError(t, err)

	require.NoError(t, pg.RestartImmediate(ctx))
	_, err = conn.Exec(ctx, "SELECT 1")
	require.Error(t, err, "the old connection died with the server")
	_ = conn.Close(ctx)
	again, err := pgx.Connect(ctx, pg.URL)
	require.NoError(t, err)
	defer again.Close(ctx)
	var v int
	require.NoError(t, again.QueryRow(ctx, "SELECT v FROM kept").Scan(&v))
	require.Equal(t, 42, v)
}
