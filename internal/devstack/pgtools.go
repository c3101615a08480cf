package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// pgTools runs initdb and pg_ctl on one cluster folder, through
// `runuser -u postgres --` when we are root (PostgreSQL refuses root).
type pgTools struct {
	binDir, dir string
	asRoot      bool
	uid, gid    int
	log         io.Writer
}

func newPGTools(binDir, dir string, log io.Writer) (pgTools, error) {
	t := pgTools{binDir: binDir, dir: dir, asRoot: os.Geteuid() == 0, log: log}
	if t.asRoot {
		var err error
		if t.uid, t.gid, err = postgresUser(); err != nil {
			return t, err
		}
	}
	return t, nil
}

func (t pgTools) command(ctx context.Context, tool string, args ...string) *exec.Cmd {
	path := filepath.Join(t.binDir, tool)
	var cmd *exec.Cmd
	if t.asRoot {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	// The postgres user may not be able to enter the caller's working folder.
	cmd.Dir = t.dir
	return cmd
}

func (t pgTools) run(ctx context.Context, tool string, args ...string) error {
	out, err := combinedOutput(t.command(ctx, tool, args...), t.log)
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", tool, strings.Join(args, " "), err, lastLines(out, 10))
	}
	return nil
}

// prepareDir creates the cluster folder (0700, as PostgreSQL demands) and,
// as root, hands it to the postgres user and makes every parent traversable.
func (t pgTools) prepareDir() error {
	if err := os.MkdirAll(t.dir, 0o700); err != nil {
		return fmt.Errorf("create postgres folder: %w", err)
	}
	if err := os.Chmod(t.dir, 0o700); err != nil {
		return fmt.Errorf("create postgres folder: %w", err)
	}
	if !t.asRoot {
		return nil
	}
	err := filepath.WalkDir(t.dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, t.uid, t.gid)
	})
	if err != nil {
		return fmt.Errorf("give %s to the postgres user: %w", t.dir, err)
	}
	for p := filepath.Dir(t.dir); ; p = filepath.Dir(p) {
		info, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("check %s: %w", p, err)
		}
		if info.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(p, info.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("make %s traversable by the postgres user: %w", p, err)
			}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

func (t pgTools) initdb(ctx context.Context, fast bool) error {
	fmt.Fprintf(t.log, "Creating a PostgreSQL cluster in %s (initdb).\n", t.dir)
	args := []string{"-D", t.dir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"}
	if fast {
		args = append(args, "--no-sync")
	}
	return t.run(ctx, "initdb", args...)
}

// stopStale stops a server an earlier run left running in the folder.
func (t pgTools) stopStale(ctx context.Context) error {
	err := t.command(ctx, "pg_ctl", "status", "-D", t.dir).Run()
	if err != nil {
		// Exit 3: not running (a stale postmaster.pid is removed by the
		// postmaster itself on start).
		return nil
	}
	fmt.Fprintf(t.log, "Stopping a PostgreSQL server left running in %s by an earlier run.\n", t.dir)
	return t.stop(ctx)
}

func (t pgTools) start(ctx context.Context, port int, fast bool) error {
	opts := []string{"-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1"}
	// Unix socket paths are limited to ~107 bytes; deep folders go TCP only.
	if len(t.dir) < 80 && !strings.ContainsAny(t.dir, `'"\ `) {
		opts = append(opts, "-k", t.dir)
	} else {
		opts = append(opts, "-c", "unix_socket_directories=")
	}
	if fast {
		opts = append(opts, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	err := t.run(ctx, "pg_ctl", "-D", t.dir, "-l", filepath.Join(t.dir, "server.log"), "-w", "-t", "120",
		"start", "-o", strings.Join(opts, " "))
	if err != nil {
		return fmt.Errorf("start postgres in %s (see %s): %w", t.dir, filepath.Join(t.dir, "server.log"), err)
	}
	return nil
}

func (t pgTools) stop(ctx context.Context) error {
	err := t.run(ctx, "pg_ctl", "-D", t.dir, "-m", "fast", "-w", "stop")
	var exit *exec.ExitError
	if errors.As(err, &exit) && t.command(ctx, "pg_ctl", "status", "-D", t.dir).Run() != nil {
		return nil // already stopped
	}
	if err != nil {
		return fmt.Errorf("stop postgres in %s: %w", t.dir, err)
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
