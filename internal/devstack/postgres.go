package devstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// PostgresOptions configure StartPostgres.
type PostgresOptions struct {
	// Dir is the cluster folder, created with initdb on first use (when
	// Dir/PG_VERSION is missing) and kept across runs.
	Dir string
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// Database is created when missing; default "handoff".
	Database string
	// Fast turns off fsync, synchronous_commit and full_page_writes: for
	// throwaway test clusters only, a crash can corrupt the cluster.
	Fast bool
	// Log receives what the PostgreSQL tools print; nil discards it. The
	// server itself logs to Dir/server.log.
	Log io.Writer
}

// Postgres is a running cluster started by StartPostgres.
type Postgres struct {
	// URL points at the database, e.g.
	// postgres://postgres@127.0.0.1:PORT/handoff?sslmode=disable.
	URL  string
	Dir  string
	Port int

	pg       pgTools
	fast     bool
	stopOnce sync.Once
	stopErr  error
}

// StartPostgres starts a cluster in o.Dir, running initdb first when the
// folder holds no cluster yet, and creates o.Database. A server left running
// in o.Dir by an earlier, crashed run is stopped first.
func StartPostgres(ctx context.Context, o PostgresOptions) (*Postgres, error) {
	if o.Dir == "" {
		return nil, errors.New("start postgres: Dir is required")
	}
	if o.Database == "" {
		o.Database = "handoff"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	binDir, err := EnsurePostgres(ctx, o.Log)
	if err != nil {
		return nil, err
	}
	pg, err := newPGTools(binDir, dir, o.Log)
	if err != nil {
		return nil, err
	}
	if err := pg.prepareDir(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := pg.initdb(ctx, o.Fast); err != nil {
			return nil, err
		}
	}
	if err := pg.stopStale(ctx); err != nil {
		return nil, err
	}

	port := o.Port
	for attempt := 1; ; attempt++ {
		if o.Port == 0 {
			if port, err = freePort(); err != nil {
				return nil, fmt.Errorf("start postgres: %w", err)
			}
		}
		err = pg.start(ctx, port, o.Fast)
		// A free port can be taken by another process before the server
		// binds it; try another one.
		if err == nil || o.Port != 0 || attempt == 3 || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	p := &Postgres{
		URL:  fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, o.Database),
		Dir:  dir,
		Port: port,
		pg:   pg,
		fast: o.Fast,
	}
	if err := createDatabase(ctx, p.adminURL(), o.Database); err != nil {
		_ = p.Stop()
		return nil, err
	}
	return p, nil
}

// Stop shuts the server down (pg_ctl stop -m fast) and waits for it. It is
// safe to call more than once.
func (p *Postgres) Stop() error {
	p.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		p.stopErr = p.pg.stop(ctx)
	})
	return p.stopErr
}

// RestartImmediate restarts the server the way a crash does (pg_ctl restart -m
// immediate: no checkpoint, crash recovery from the WAL on start) with the options it
// was started with, and waits until it accepts connections again.
func (p *Postgres) RestartImmediate(ctx context.Context) error {
	err := p.pg.run(ctx, "pg_ctl", "-D", p.Dir, "-l", filepath.Join(p.Dir, "server.log"), "-m", "immediate",
		"-w", "-t", "120", "restart")
	if err != nil {
		return fmt.Errorf("restart postgres in %s: %w", p.Dir, err)
	}
	return nil
}

// Down stops the server the way a crash does (pg_ctl stop -m immediate) and leaves it
// down until Up: an outage.
func (p *Postgres) Down(ctx context.Context) error {
	if err := p.pg.run(ctx, "pg_ctl", "-D", p.Dir, "-m", "immediate", "-w", "stop"); err != nil {
		return fmt.Errorf("stop postgres in %s: %w", p.Dir, err)
	}
	return nil
}

// Up starts the server again after Down, on the same port with the same options.
func (p *Postgres) Up(ctx context.Context) error { return p.pg.start(ctx, p.Port, p.fast) }

// adminURL points at the cluster's "postgres" database.
func (p *Postgres) adminURL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.Port)
}

// createDatabase creates name unless it exists, connecting to adminURL.
func createDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("create database %s: connect: %w", name, err)
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// EnsurePostgres returns the folder holding initdb and pg_ctl: found on PATH,
// else under /usr/lib/postgresql/*/bin (newest version first). When they are
// missing and we run as root with apt-get, it installs Debian's postgresql
// package; otherwise it returns an error saying what to install.
func EnsurePostgres(ctx context.Context, log io.Writer) (binDir string, err error) {
	if log == nil {
		log = io.Discard
	}
	if dir, ok := findPostgres(); ok {
		return dir, nil
	}
	_, aptErr := exec.LookPath("apt-get")
	if os.Geteuid() != 0 || aptErr != nil {
		return "", errors.New(missingPostgresMessage())
	}
	fmt.Fprintln(log, "PostgreSQL server binaries (initdb, pg_ctl) not found; installing Debian's postgresql package with apt-get.")
	for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "postgresql"}} {
		fmt.Fprintf(log, "+ apt-get %s\n", strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("install postgresql: apt-get %s: %w", args[0], err)
		}
	}
	if dir, ok := findPostgres(); ok {
		return dir, nil
	}
	return "", errors.New("installed the postgresql package but still cannot find initdb and pg_ctl; " + missingPostgresMessage())
}

func missingPostgresMessage() string {
	hint := "Debian/Ubuntu: `apt-get install postgresql`; macOS: `brew install postgresql@15`"
	if runtime.GOOS == "darwin" {
		hint = "macOS: `brew install postgresql@15` (then add $(brew --prefix postgresql@15)/bin to PATH)"
	}
	return "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin. " +
		"Install them (" + hint + "), or set HANDOFF_DATABASE_URL to use an existing server."
}

// findPostgres looks for a folder holding both initdb and pg_ctl.
func findPostgres() (string, bool) {
	var candidates []string
	if p, err := exec.LookPath("initdb"); err == nil {
		if resolved, err := filepath.EvalSymlinks(p); err == nil {
			candidates = append(candidates, filepath.Dir(resolved))
		}
		candidates = append(candidates, filepath.Dir(p))
	}
	candidates = append(candidates, debianPostgresDirs()...)
	for _, dir := range candidates {
		if isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "pg_ctl")) {
			return dir, true
		}
	}
	return "", false
}

// debianPostgresDirs lists /usr/lib/postgresql/*/bin, newest version first.
func debianPostgresDirs() []string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(dir string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		return v
	}
	// Insertion sort: a handful of entries at most.
	for i := 1; i < len(matches); i++ {
		for j := i; j > 0 && version(matches[j]) > version(matches[j-1]); j-- {
			matches[j], matches[j-1] = matches[j-1], matches[j]
		}
	}
	return matches
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir() && info.Mode()&0o111 != 0
}

// combinedOutput runs cmd, copying its output to log and returning it for
// error messages.
func combinedOutput(cmd *exec.Cmd, log io.Writer) (string, error) {
	var buf bytes.Buffer
	cmd.Stdout = io.MultiWriter(&buf, log)
	cmd.Stderr = cmd.Stdout
	err := cmd.Run()
	return strings.TrimSpace(buf.String()), err
}

// postgresUser looks up the system user that owns the cluster when we run
// as root.
func postgresUser() (uid, gid int, err error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return 0, 0, fmt.Errorf("PostgreSQL refuses to run as root and there is no `postgres` system user to run it as "+
			"(install Debian's postgresql package, or run as an ordinary user): %w", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, nil
}
