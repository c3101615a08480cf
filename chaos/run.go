package chaos

import (
	"context"
	"embed"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/handoffhq/handoff/internal/devstack"
	"github.com/handoffhq/handoff/internal/webhook"
)

//go:embed defs/*.yaml
var defsFS embed.FS

// drainLimit bounds how long the backlog of a fault may take to drain.
const drainLimit = 90 * time.Second

// Config tunes a chaos run. main reads it from the environment.
type Config struct {
	// Root is the repository root (for go build and .bin/temporal).
	Root string
	// Only runs the faults with these ids, e.g. F1, F10 (CHAOS_ONLY, comma-separated).
	Only []string
	// Keep keeps the work folder (servers.log, the Temporal file, the cluster) (CHAOS_KEEP=1).
	Keep bool
	// Out receives the table; Log receives progress and findings.
	Out, Log io.Writer
}

// ConfigFromEnv reads the configuration from the environment.
func ConfigFromEnv(getenv func(string) string, root string) Config {
	c := Config{Root: root, Keep: getenv("CHAOS_KEEP") == "1", Out: os.Stdout, Log: os.Stderr}
	for p := range strings.SplitSeq(getenv("CHAOS_ONLY"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.Only = append(c.Only, strings.ToUpper(p))
		}
	}
	return c
}

// suite is one chaos run: its servers, its driver and its ledger.
type suite struct {
	cfg   Config
	stack *stack
	d     *driver
	led   *ledger
	began time.Time
}

// Row is one fault's line of the table.
type Row struct {
	ID, Name string
	verdict
	Recovery time.Duration // 0: not applicable
	Took     time.Duration
	Notes    []string
}

// Failed reports whether the fault lost, duplicated or broke anything.
func (r Row) Failed() bool { return r.lost+r.dup+r.viol > 0 }

// Run starts the servers, runs every selected fault with its oracle, prints the table
// and stops the servers. The rows say whether anything was lost or duplicated; err is a
// failure of the harness itself.
func Run(ctx context.Context, cfg Config) (rows []Row, err error) {
	s := &suite{cfg: cfg, led: newLedger(), began: time.Now()}
	if s.stack, err = startStack(ctx, cfg.Root, s.logf); err != nil {
		return nil, err
	}
	defer func() {
		keep := cfg.Keep || err != nil
		if cerr := s.stack.close(keep); cerr != nil && err == nil {
			err = fmt.Errorf("stop the servers: %w", cerr)
		}
		if keep {
			s.logf("kept %s (servers.log has every process's output)", s.stack.dir)
		}
	}()
	if s.d, err = s.bootstrap(ctx); err != nil {
		return nil, fmt.Errorf("%w\n\nlast lines of the server log:\n%s", err, s.stack.logTail())
	}
	for _, f := range faults() {
		if !s.wants(f.id) {
			continue
		}
		row, err := s.runFault(ctx, f)
		if err != nil {
			return rows, fmt.Errorf("%s: %w\n\nlast lines of the server log:\n%s", f.id, err, s.stack.logTail())
		}
		rows = append(rows, row)
	}
	fmt.Fprintf(cfg.Out, "\nHandoff fault matrix (make chaos): %s\n\n", devstack.Machine())
	printTable(cfg.Out, rows)
	s.logf("done in %s", time.Since(s.began).Round(time.Second))
	return rows, nil
}

// fault is one row of the matrix: run injects it under load and returns the recovery
// time and notes; the oracle then checks the ledger.
type fault struct {
	id, name string
	run      func(ctx context.Context, s *suite) (outcome, error)
}

type outcome struct {
	recovery time.Duration
	notes    []string
	// judge, when set, turns the API's answers during the fault into findings.
	judge func(answers map[int]int) []string
}

func (s *suite) runFault(ctx context.Context, f fault) (Row, error) {
	s.logf("%s: %s", f.id, f.name)
	began := time.Now()
	s.d.api.takeTally()
	out, err := f.run(ctx, s)
	if err != nil {
		return Row{}, err
	}
	answers, hangs := s.d.api.takeTally()
	v, err := s.check(ctx, f.id)
	if err != nil {
		return Row{}, fmt.Errorf("oracle: %w", err)
	}
	for _, u := range s.d.takeSurprises() {
		v.violate("unexpected answer: %s", u)
	}
	if hangs > 0 {
		v.violate("%d requests got no answer within %s", hangs, clientTimeout)
	}
	if out.judge != nil {
		for _, f := range out.judge(answers) {
			v.violate("%s", f)
		}
	}
	notes := append(out.notes, "API answers: "+formatAnswers(answers))
	if v.repeats > 0 {
		notes = append(notes, fmt.Sprintf("%d overdue/escalation journal entries were written twice, e.g. run %s "+
			"(a cancelled inbox write re-queued its journal: see docs/reliability.md)", v.repeats, v.repeatedRun))
	}
	row := Row{ID: f.id, Name: f.name, verdict: v, Recovery: out.recovery, Took: time.Since(began), Notes: notes}
	for _, n := range row.Notes {
		s.logf("%s: %s", f.id, n)
	}
	for i, line := range v.findings {
		if i == 20 {
			s.logf("%s: ... and %d more findings", f.id, len(v.findings)-i)
			break
		}
		s.logf("%s: %s", f.id, line)
	}
	s.logf("%s: %d acknowledged, %d lost, %d duplicated, %d violations, in %s", f.id, v.acked, v.lost, v.dup, v.viol,
		row.Took.Round(time.Second))
	return row, nil
}

func (s *suite) wants(id string) bool {
	if len(s.cfg.Only) == 0 {
		return true
	}
	for _, o := range s.cfg.Only {
		if o == id {
			return true
		}
	}
	return false
}

func (s *suite) logf(format string, args ...any) {
	fmt.Fprintf(s.cfg.Log, "[%4.0fs] %s\n", time.Since(s.began).Seconds(), fmt.Sprintf(format, args...))
}

// bootstrap creates the users and their keys with the handoff CLI, publishes the chaos
// definitions and creates the webhook secrets through the API.
func (s *suite) bootstrap(ctx context.Context) (*driver, error) {
	api := newAPIClient(s.stack.apiURL)
	for _, u := range [][]string{{"admin", "--role", "admin"}, {"alice", "--role", "member", "--groups", "ops"},
		{"bob", "--role", "member"}, {"carol", "--role", "member"}} {
		if _, err := s.stack.handoff(ctx, append([]string{"users", "add", "--id", u[0], "--name", u[0]}, u[1:]...)...); err != nil {
			return nil, err
		}
		key, err := s.stack.handoff(ctx, "keys", "create", "--user", u[0])
		if err != nil {
			return nil, err
		}
		api.keys[u[0]] = key
	}
	d := &driver{api: api, led: s.led, sink: s.stack.sink, hooks: map[string][]byte{}}
	for _, name := range []string{"flow", "due", "one", "probe", "pub", "race"} {
		raw, err := defsFS.ReadFile("defs/" + name + ".yaml")
		if err != nil {
			return nil, fmt.Errorf("read definition %s: %w", name, err)
		}
		src := strings.ReplaceAll(string(raw), "$SINK", s.stack.sink.url)
		if name == "pub" {
			d.pub = src
			continue
		}
		a := api.call(ctx, "admin", "POST", "/v1/definitions", []byte(src), map[string]string{"Content-Type": "application/yaml"})
		if a.status != http.StatusCreated {
			return nil, fmt.Errorf("publish %s: %d %s", name, a.status, a.raw)
		}
	}
	// Completions are told to a subscription on the sink, so the oracle can check that
	// the events name who the history says won (F16).
	a := api.call(ctx, "admin", "POST", "/v1/subscriptions", map[string]any{"url": s.stack.sink.eventsURL(),
		"events": []string{"task.completed"}}, nil)
	if a.status != http.StatusCreated {
		return nil, fmt.Errorf("subscribe the sink to events: %d %s", a.status, a.raw)
	}
	for _, trigger := range []string{viaWebhook, viaWebhookKey} {
		a := api.call(ctx, "admin", "POST", "/v1/hooks/chaos-flow/"+trigger+"/secrets", nil, nil)
		if a.status != http.StatusCreated {
			return nil, fmt.Errorf("create the %s webhook secret: %d %s", trigger, a.status, a.raw)
		}
		key, err := webhook.ParseSecret(a.str("secret"))
		if err != nil {
			return nil, fmt.Errorf("read the %s webhook secret: %w", trigger, err)
		}
		d.hooks[trigger] = key
	}
	return d, nil
}
