package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/postgres"
)

// inboxDB is the database R5 seeds: its own database in the cluster, so the other figures
// run on the small one, served by an API of its own.
type inboxDB struct {
	db     *postgres.DB
	api    *servedAPI
	client *apiClient // holds the users' keys; apiURL is its base
	apiURL string
	users  []string // the users with keys: every user
	groups int      // every user u<n> is in group g<n % groups>
}

// inboxReader is how R5 reads an inbox.
type inboxReader int

const (
	viaAPI   inboxReader = iota // GET /v1/tasks
	viaStore                    // postgres.DB.ListTasks: the query alone
)

func (r inboxReader) String() string {
	return [...]string{"api", "store"}[r]
}

// seedInbox creates the database and fills it with total tasks, one in ten open: each of
// total/1000 users owns 1000 of them (100 open), and one task in seven is also offered to
// one of users/20 groups. Every user gets an API key, so reads go over many inboxes.
// name is the database's name.
func (b *bencher) seedInbox(ctx context.Context, name string, total int) (*inboxDB, error) {
	users := max(total/1000, 1)
	url, err := b.s.createDatabase(ctx, name)
	if err != nil {
		return nil, err
	}
	db, err := openMigrated(ctx, url)
	if err != nil {
		return nil, err
	}
	in := &inboxDB{db: db, groups: max(users/20, 1)}
	began := time.Now()
	if err := seedTasks(ctx, db, users, in.groups, total); err != nil {
		return nil, err
	}
	b.logf("%s seeded %d tasks (%d open) for %d users in %s", name, total, total/10, users, time.Since(began).Round(time.Second))
	if in.api, in.apiURL, err = b.s.serveAPI(db, api.Config{}); err != nil {
		return nil, err
	}
	in.client = newAPIClient(in.apiURL, 64)
	in.users = userIDs("u", users)
	if err := addUsers(ctx, db, in.client, in.users, "member", func(id string) []string {
		return []string{in.groupOf(id)}
	}); err != nil {
		return nil, err
	}
	return in, nil
}

// groupOf is the group of a seeded user.
func (in *inboxDB) groupOf(user string) string {
	var n int
	_, _ = fmt.Sscanf(user, "u%d", &n)
	return fmt.Sprintf("g%d", n%in.groups)
}

// seedTasks fills the directory with users u0… (user n in group g<n % groups>) and the
// inbox with total tasks, one in ten open: each user owns total/users of them, and one
// task in seven is also offered to a group. Indexes are dropped for the bulk insert and
// rebuilt after it from their own definitions, several times faster than maintaining
// them row by row.
func seedTasks(ctx context.Context, db *postgres.DB, users, groups, total int) error {
	conn, err := db.Pool().Acquire(ctx)
	if err != nil {
		return fmt.Errorf("seed tasks: %w", err)
	}
	defer conn.Release()
	_, err = conn.Exec(ctx, `INSERT INTO users (id, name, role, groups)
		SELECT 'u' || i, 'User ' || i, 'member', ARRAY['g' || (i % $1)] FROM generate_series(0, $2 - 1) i`,
		groups, users)
	if err != nil {
		return fmt.Errorf("seed users: %w", err)
	}
	rebuild, err := dropIndexes(ctx, conn.Conn(), "tasks")
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, `INSERT INTO tasks (id, run_id, step_id, definition, title, kind, status,
			assignees, candidate_groups, due_at, form, outcome, completed_by, created_at, completed_at)
		SELECT 'seed-' || i, 'seed-run-' || (i / 5), 's' || (i % 5), 'bench-seed', 'Seeded task ' || i, 'task',
			CASE WHEN i % 10 = 0 THEN 'open' ELSE 'completed' END,
			ARRAY['u' || ((i / 10) % $1)],
			CASE WHEN i % 7 = 0 THEN ARRAY['g' || ((i / 70) % $2)] ELSE '{}'::text[] END,
			CASE WHEN i % 3 = 0 THEN now() + (i % 1000) * interval '1 hour' END,
			'[{"id":"note","label":"Note","type":"text","required":true}]'::jsonb,
			CASE WHEN i % 10 = 0 THEN '' ELSE 'completed' END,
			CASE WHEN i % 10 = 0 THEN '' ELSE 'u' || ((i / 10) % $1) END,
			now() - i * interval '1 second',
			CASE WHEN i % 10 = 0 THEN NULL ELSE now() END
		FROM generate_series(0, $3 - 1) i`, users, groups, total)
	if err != nil {
		return fmt.Errorf("seed tasks: %w", err)
	}
	if _, err := conn.Exec(ctx, `SET maintenance_work_mem = '256MB'`); err != nil {
		return fmt.Errorf("seed tasks: %w", err)
	}
	for _, def := range rebuild {
		if _, err := conn.Exec(ctx, def); err != nil {
			return fmt.Errorf("rebuild index: %s: %w", def, err)
		}
	}
	if _, err := conn.Exec(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

func (in *inboxDB) close() {
	if in.api != nil {
		_ = in.api.Close()
	}
	in.db.Close()
}

// dropIndexes drops the secondary indexes of a table and returns the statements that
// recreate them.
func dropIndexes(ctx context.Context, conn *pgx.Conn, table string) ([]string, error) {
	rows, err := conn.Query(ctx, `SELECT i.indexname, i.indexdef FROM pg_indexes i
		WHERE i.tablename = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`, table)
	if err != nil {
		return nil, fmt.Errorf("list indexes of %s: %w", table, err)
	}
	names, defs := []string{}, []string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, fmt.Errorf("list indexes of %s: %w", table, err)
		}
		names, defs = append(names, name), append(defs, def)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list indexes of %s: %w", table, err)
	}
	for _, name := range names {
		if _, err := conn.Exec(ctx, "DROP INDEX "+pgx.Identifier{name}.Sanitize()); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", name, err)
		}
	}
	return defs, nil
}

// createDatabase creates a database in the cluster and returns its URL.
func (s *stack) createDatabase(ctx context.Context, name string) (string, error) {
	admin := strings.Replace(s.pg.URL, "/handoff?", "/postgres?", 1)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return strings.Replace(s.pg.URL, "/handoff?", "/"+name+"?", 1), nil
}

// query is one inbox read.
func (in *inboxDB) query(ctx context.Context, via inboxReader, user string) error {
	if via == viaAPI {
		// Count the tasks instead of decoding them: a load generator that decodes the JSON
		// of every answer measures itself more than the API (vegeta and wrk do not look).
		raw, err := in.client.get(ctx, in.apiURL, user, "/v1/tasks?assignee=me&status=open")
		if n := bytes.Count(raw, []byte(`"run_id":`)); err == nil && n != 50 {
			err = fmt.Errorf("inbox of %s has %d tasks, want a full page of 50", user, n)
		}
		return err
	}
	tasks, _, err := in.db.ListTasks(ctx, postgres.TaskFilter{Assignee: user, Groups: []string{in.groupOf(user)},
		Status: "open", Limit: 50, Now: time.Now().UTC()})
	if err == nil && len(tasks) != 50 {
		err = fmt.Errorf("inbox of %s has %d tasks, want a full page of 50", user, len(tasks))
	}
	return err
}

// load reads inboxes from conns closed loops for d, each read a random user's, and
// returns every latency in milliseconds.
func (in *inboxDB) load(ctx context.Context, via inboxReader, conns int, d time.Duration) ([]float64, error) {
	lat := newLatencies()
	var (
		wg       sync.WaitGroup
		firstErr atomic.Value
	)
	deadline := time.Now().Add(d)
	for range conns {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				user := in.users[mrand.IntN(len(in.users))]
				t0 := time.Now()
				if err := in.query(ctx, via, user); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				lat.add(time.Since(t0))
			}
		})
	}
	wg.Wait()
	out := lat.done()
	if err, ok := firstErr.Load().(error); ok {
		return out, err
	}
	return out, nil
}

// churn completes tasks in the inbox database at rate per second until ctx is done, as
// the worker does: each completion is one ordered projection write that closes a task
// and opens the next one for a random user, on one of 40 runs (R4's assignees). It
// returns how many it wrote and the first error.
func (in *inboxDB) churn(ctx context.Context, rate float64) (int, error) {
	const runs = 40
	start := time.Now().UTC()
	type churnRun struct {
		id   string
		seq  int64
		open *postgres.Task
	}
	rs := make([]*churnRun, runs)
	for i := range rs {
		rs[i] = &churnRun{id: fmt.Sprintf("churn-%d", i), seq: start.UnixMicro()}
	}
	write := func(r *churnRun) error {
		r.seq++
		now := time.Now().UTC()
		user := in.users[mrand.IntN(len(in.users))]
		next := postgres.Task{ID: fmt.Sprintf("%s.%d", r.id, r.seq), RunID: r.id, StepID: "s", Definition: "bench-churn",
			Title: "Churned task", Status: "open", Assignees: []string{user}, CreatedAt: now,
			Form: []byte(`[{"id":"note","label":"Note","type":"text","required":true}]`)}
		w := postgres.InboxWrite{
			Run: &postgres.Run{ID: r.id, Definition: "bench-churn", Version: 1, Status: "running", StartedBy: "bench",
				StartedAt: start},
			Open:   []postgres.Task{next},
			Emails: []postgres.TaskEmail{{Key: "email/task.assigned/" + next.ID, Event: "task.assigned", TaskID: next.ID, Users: []string{user}}},
			Sync:   &postgres.SyncPoint{Seq: r.seq, Fence: r.seq, Write: rand.Text()},
		}
		if r.open != nil {
			done := *r.open
			done.Status, done.Outcome, done.CompletedBy, done.CompletedAt = "completed", "completed", done.Assignees[0], &now
			w.Close = []postgres.Task{done}
		}
		if err := in.db.WriteInbox(ctx, w); err != nil {
			return err
		}
		r.open = &next
		return nil
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return n, nil
		case <-tick.C:
		}
		if err := write(rs[n%runs]); err != nil && ctx.Err() == nil {
			return n, fmt.Errorf("churn: %w", err)
		}
		n++
	}
}
