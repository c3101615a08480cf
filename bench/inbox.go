package bench

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/postgres"
)

// inboxDB is the database R5 seeds: its own database in the cluster, so the other figures
// run on the small one. Two APIs serve it: as shipped (read caches on) and with the
// read caches off.
type inboxDB struct {
	db           *postgres.DB
	cached, cold *servedAPI
	client       *apiClient // holds the users' keys; cachedURL and coldURL are its bases
	cachedURL    string
	coldURL      string
	users        []string // the users with keys
	groups       int      // every user u<n> is in group g<n % groups>
}

// inboxReader is how R5 reads an inbox.
type inboxReader int

const (
	viaAPI     inboxReader = iota // GET /v1/tasks, read caches on
	viaColdAPI                    // GET /v1/tasks, read caches off
	viaStore                      // postgres.DB.ListTasks
)

func (r inboxReader) String() string {
	return [...]string{"api", "api-nocache", "store"}[r]
}

// seedInbox creates the database and fills it with total tasks, one in ten open: each of
// total/1000 users owns 1000 of them (100 open), and one task in seven is also offered to
// one of users/20 groups.
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
	if in.cached, in.cachedURL, err = b.s.serveAPI(db, api.Config{}); err != nil {
		return nil, err
	}
	if in.cold, in.coldURL, err = b.s.serveAPI(db, api.Config{CacheBytes: -1}); err != nil {
		return nil, err
	}
	in.client = newAPIClient(in.cachedURL, 64)
	in.users = userIDs("u", min(users, 50))
	if err := addUsers(ctx, db, in.client, in.users, "member", func(id string) []string {
		var n int
		_, _ = fmt.Sscanf(id, "u%d", &n)
		return []string{fmt.Sprintf("g%d", n%in.groups)}
	}); err != nil {
		return nil, err
	}
	return in, nil
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
	for _, a := range []*servedAPI{in.cached, in.cold} {
		if a != nil {
			_ = a.Close()
		}
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
	if via != viaStore {
		base := in.cachedURL
		if via == viaColdAPI {
			base = in.coldURL
		}
		// Count the tasks instead of decoding them: a load generator that decodes 17 KB
		// of JSON per answer measures itself more than the API (vegeta and wrk do not look).
		raw, err := in.client.get(ctx, base, user, "/v1/tasks?assignee=me&status=open")
		if n := bytes.Count(raw, []byte(`"run_id":`)); err == nil && n != 50 {
			err = fmt.Errorf("inbox of %s has %d tasks, want a full page of 50", user, n)
		}
		return err
	}
	var n int
	_, _ = fmt.Sscanf(user, "u%d", &n)
	tasks, _, err := in.db.ListTasks(ctx, postgres.TaskFilter{Assignee: user, Groups: []string{fmt.Sprintf("g%d", n%in.groups)},
		Status: "open", Limit: 50, Now: time.Now().UTC()})
	if err == nil && len(tasks) != 50 {
		err = fmt.Errorf("inbox of %s has %d tasks, want a full page of 50", user, len(tasks))
	}
	return err
}

// load reads inboxes from conns closed loops for d, rotating over the users, and returns
// every latency in milliseconds.
func (in *inboxDB) load(ctx context.Context, via inboxReader, conns int, d time.Duration) ([]float64, error) {
	lat := newLatencies()
	var (
		wg       sync.WaitGroup
		firstErr atomic.Value
		seq      atomic.Int64
	)
	deadline := time.Now().Add(d)
	for range conns {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				user := in.users[int(seq.Add(1))%len(in.users)]
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
