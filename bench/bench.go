package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/handoffhq/handoff/internal/devstack"
)

// Config tunes a benchmark run. main reads it from the environment.
type Config struct {
	// Short runs a smoke version in well under a minute (BENCH_SHORT=1).
	Short bool
	// JSONPath receives the figures as JSON (BENCH_JSON, default bench/results.json).
	JSONPath string
	// ProfileDir, when set, receives CPU profiles of the worker during R2 (BENCH_PROFILE).
	ProfileDir string
	// HistoryDir, when set, receives the first history of each R1 scenario and form as
	// JSON (BENCH_HISTORIES).
	HistoryDir string
	// R4Rate, when positive, is R4's completion rate per second instead of half the
	// interpreted saturation rate of R2 (BENCH_R4_RATE).
	R4Rate float64
	// Only, when set, limits the run to figures whose id starts with one of these
	// prefixes, e.g. "R1", "R5", "P", "P.mem" (BENCH_ONLY, comma-separated).
	Only []string
	// Root is the repository root: .bin/temporal, and `go test` for C1 and D1.
	Root string
	// Out receives the table; Log receives progress lines.
	Out, Log io.Writer
}

// ConfigFromEnv reads the configuration from the environment, applying the defaults.
func ConfigFromEnv(getenv func(string) string, root string) Config {
	c := Config{Short: getenv("BENCH_SHORT") == "1", JSONPath: getenv("BENCH_JSON"),
		ProfileDir: getenv("BENCH_PROFILE"), HistoryDir: getenv("BENCH_HISTORIES"), Root: root, Out: os.Stdout, Log: os.Stderr}
	if c.JSONPath == "" {
		c.JSONPath = filepath.Join(root, "bench", "results.json")
	}
	c.R4Rate, _ = strconv.ParseFloat(getenv("BENCH_R4_RATE"), 64)
	c.Only = append(c.Only, splitComma(getenv("BENCH_ONLY"))...)
	return c
}

// bencher holds one run's servers and settings.
type bencher struct {
	cfg       Config
	s         *stack
	d         *driver
	scenarios map[string]*scenario
	began     time.Time
}

// Run starts the servers, measures every figure, prints the table, writes the JSON and
// stops the servers.
func Run(ctx context.Context, cfg Config) (err error) {
	b := &bencher{cfg: cfg, began: time.Now()}
	if b.scenarios, err = loadScenarios(); err != nil {
		return err
	}
	var (
		figs   []Figure
		celErr error
	)
	if b.wants("C1") || b.wants("D1") { // CPU-bound: before any server runs
		b.logf("running the CEL and compile benchmarks (go test -bench ./definitions/)")
		cd, err := b.measureC1D1(ctx)
		figs = append(figs, b.selected(cd)...)
		if err != nil {
			b.logf("C1/D1 failed: %v", err)
			figs = append(figs, Figure{ID: "C1", Name: "did not complete", Target: "run", Note: err.Error(), failed: true})
			celErr = err
		}
	}
	if b.wantsGroup("D3") { // CPU-bound too: the owner's diagrams (editor.go)
		d3, err := b.measureD3(ctx)
		figs = append(figs, b.selected(d3)...)
		if err != nil {
			b.logf("D3 failed: %v", err)
			figs = append(figs, Figure{ID: "D3", Name: "did not complete", Target: "run", Note: err.Error(), failed: true})
			celErr = errors.Join(celErr, err)
		}
	}
	if !b.needsServers() {
		return errors.Join(b.report(figs), celErr)
	}
	b.logf("starting the Temporal dev server, PostgreSQL, the worker and the API")
	if b.s, err = startStack(ctx, cfg.Root); err != nil {
		return err
	}
	defer func() {
		if cerr := b.s.close(); cerr != nil && err == nil {
			err = fmt.Errorf("stop the servers: %w", cerr)
		}
	}()
	b.d = &driver{s: b.s}
	more, err := b.measure(ctx)
	// The editor's round trips (D2) are reported beside D1 and D3, after the servers' figures.
	var servers, d2 []Figure
	for _, f := range more {
		if strings.HasPrefix(f.ID, "D2") {
			d2 = append(d2, f)
		} else {
			servers = append(servers, f)
		}
	}
	figs = append(append(servers, figs...), d2...)
	if rerr := b.report(figs); rerr != nil {
		return rerr
	}
	if err != nil {
		return fmt.Errorf("%w\n\nlast lines of the server log:\n%s", errors.Join(err, celErr), b.s.logTail())
	}
	return celErr
}

// report prints the table and writes the JSON.
func (b *bencher) report(figs []Figure) error {
	fmt.Fprintf(b.cfg.Out, "\nHandoff benchmarks (%s): %s\n\n", b.mode(), devstack.Machine())
	if err := printTable(b.cfg.Out, figs); err != nil {
		return err
	}
	b.logf("done in %s; results in %s", time.Since(b.began).Round(time.Second), b.cfg.JSONPath)
	return writeJSON(b.cfg.JSONPath, figs)
}

// needsServers reports whether any selected figure runs on the servers.
func (b *bencher) needsServers() bool {
	for _, id := range []string{"R1", "R2", "R3", "R4", "R5", "R6", "R7", "R9", "P", "D2", "W"} {
		if b.wantsGroup(id) {
			return true
		}
	}
	return false
}

// measure runs every selected figure in turn. A figure that fails is reported as an
// error row and the others still run; the errors come back joined.
func (b *bencher) measure(ctx context.Context) ([]Figure, error) {
	var (
		figs       []Figure
		errs       []error
		hist       map[string]*histories
		saturation float64
	)
	step := func(id string, run func() ([]Figure, error)) {
		got, err := run()
		figs = append(figs, b.selected(got)...)
		if err != nil {
			b.logf("%s failed: %v", id, err)
			figs = append(figs, Figure{ID: id, Name: "did not complete", Target: "run", Note: err.Error(), failed: true})
			errs = append(errs, err)
		}
	}
	if b.wantsGroup("D2") { // beside D1: the editor's validate round trip, on a quiet stack
		step("D2", func() ([]Figure, error) { return b.measureD2(ctx) })
	}
	if b.wants("R1") || b.wants("R7") {
		step("R1", func() (f []Figure, err error) { f, hist, err = b.measureR1(ctx); return f, err })
	}
	if b.wants("R2") || b.wants("R3") || (b.wants("R4") && b.cfg.R4Rate <= 0) {
		step("R2", func() (f []Figure, err error) { f, saturation, err = b.measureR2R3(ctx); return f, err })
	}
	if b.wants("R4") {
		step("R4", func() ([]Figure, error) { return b.measureR4(ctx, saturation) })
	}
	if b.wants("R5") {
		step("R5", func() ([]Figure, error) { return b.measureR5(ctx, b.r4Rate(saturation)) })
	}
	if b.wants("R6") {
		step("R6", func() ([]Figure, error) { return b.measureR6(ctx) })
	}
	if b.wants("R7") && hist != nil {
		step("R7", func() ([]Figure, error) { return b.measureR7(ctx, hist) })
	}
	if b.wants("R9") {
		step("R9", func() ([]Figure, error) { return b.measureR9(ctx) })
	}
	if b.wants("W") || b.wantsGroup("W") {
		step("W", func() ([]Figure, error) { return b.measureW(ctx) })
	}
	if b.wantsGroup("P") {
		got, err := b.measureP(ctx) // selects its own figures and reports its own failures
		figs = append(figs, got...)
		errs = append(errs, err)
	}
	return figs, errors.Join(errs...)
}

// r4Rate is R4's completion rate: BENCH_R4_RATE, or half the interpreted saturation of
// R2 (0 when neither is known).
func (b *bencher) r4Rate(saturation float64) float64 {
	if b.cfg.R4Rate > 0 {
		return b.cfg.R4Rate
	}
	return saturation / 2
}

// reps is how many A/B repetitions a figure takes: full (at least 5) or the smoke run's.
func (b *bencher) reps(full int) int {
	if b.cfg.Short {
		return 1
	}
	return full
}

func (b *bencher) mode() string {
	if b.cfg.Short {
		return "BENCH_SHORT smoke run: too short to judge"
	}
	return "full run"
}

// selected keeps the figures BENCH_ONLY asks for.
func (b *bencher) selected(figs []Figure) []Figure {
	if len(b.cfg.Only) == 0 {
		return figs
	}
	var out []Figure
	for _, f := range figs {
		if b.wants(f.ID) {
			out = append(out, f)
		}
	}
	return out
}

// wantsGroup reports whether BENCH_ONLY selects any figure of a group of ids sharing a
// prefix: the group itself or a part of it ("P.mem" for the group "P").
func (b *bencher) wantsGroup(group string) bool {
	if len(b.cfg.Only) == 0 {
		return true
	}
	for _, p := range b.cfg.Only {
		if strings.HasPrefix(group, p) || strings.HasPrefix(p, group) {
			return true
		}
	}
	return false
}

func (b *bencher) wants(id string) bool {
	if len(b.cfg.Only) == 0 {
		return true
	}
	for _, p := range b.cfg.Only {
		if len(id) >= len(p) && id[:len(p)] == p {
			return true
		}
	}
	return false
}

func (b *bencher) logf(format string, args ...any) {
	fmt.Fprintf(b.cfg.Log, "[%5.0fs] %s\n", time.Since(b.began).Seconds(), fmt.Sprintf(format, args...))
}

// splitComma splits a comma-separated list, dropping blanks.
func splitComma(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
