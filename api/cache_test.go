package api

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	must "github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/internal/testenv"
	"github.com/handoffhq/handoff/postgres"
)

// cachedServer is a test server with its read caches on and metrics to count their
// hits (its metrics), and a second API over the same database with them off.
func cachedServer(t *testing.T) (cached, cold *testServer) {
	t.Helper()
	cached = newTestServer(t, Config{Metrics: prometheus.NewRegistry()})
	cold = &testServer{t: t, db: cached.db, keys: cached.keys,
		srv: New(Config{CacheBytes: -1}, cached.db, nil, definitions.NewEngine(), slog.New(slog.DiscardHandler))}
	t.Cleanup(cold.srv.Close)
	waitFor(t, "the change feed to be listened to", cached.srv.caches.answering)
	return cached, cold
}

func (ts *testServer) addUser(id string, groups ...string) {
	ts.t.Helper()
	ctx := context.Background()
	_, err := ts.db.UpsertUser(ctx, postgres.User{ID: id, Name: id, Role: roleMember, Groups: append([]string{}, groups...)})
	must.NoError(ts.t, err)
	key, hash := NewKey()
	_, err = ts.db.CreateAPIKey(ctx, id, key[:7], hash)
	must.NoError(ts.t, err)
	ts.keys[id] = key
}

// cacheReads is how many reads of a cache had the result so far.
func cacheReads(ts *testServer, cache, result string) float64 {
	return testutil.ToFloat64(ts.srv.caches.reads.WithLabelValues(cache, result))
}

// answering reports whether the caches answer from memory now.
func (c *readCaches) answering() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.on()
}

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	must.Eventually(t, cond, 10*time.Second, 5*time.Millisecond, "waiting for %s", what)
}

// TestReadCachesAnswerWhatTheStoreHolds writes tasks and the directory at random, the
// way the worker and `handoff users` do (straight to Postgres), and after each round
// checks that every inbox page the API answers with its read caches on is byte for byte
// what the API answers without them, once a changing request would have answered (sync).
// It also checks that unchanged pages and keys are answered from memory.
func TestReadCachesAnswerWhatTheStoreHolds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cached, cold := cachedServer(t)
	rng := rand.New(rand.NewPCG(11, 2026))
	users := []string{"ana", "ben", "cy"}
	groups := []string{"ops", "fin", "hr"}
	for i, u := range users {
		cached.addUser(u, groups[i])
	}
	pick := func(from []string, most int) []string {
		var out []string
		for _, x := range from {
			if len(out) < most && rng.IntN(3) == 0 {
				out = append(out, x)
			}
		}
		return out
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	tasks := map[string]postgres.Task{}
	paths := []string{"/v1/tasks", "/v1/tasks?status=open&limit=3", "/v1/tasks?definition=expense", "/v1/tasks?limit=2&page_token="}
	for round := range 8 {
		for range 12 {
			id := fmt.Sprintf("t%02d", rng.IntN(30))
			task, exists := tasks[id]
			switch {
			case !exists:
				due := now.Add(time.Duration(rng.IntN(48)+1) * time.Hour)
				task = postgres.Task{ID: id, RunID: "run-" + id, StepID: "s", Definition: []string{"expense", "onboarding"}[rng.IntN(2)],
					Title: "Task " + id, Assignees: pick(users, 2), CandidateGroups: pick(groups, 2), DueAt: &due,
					CreatedAt: now.Add(time.Duration(rng.IntN(5)) * time.Minute)}
				must.NoError(t, cached.db.OpenTask(ctx, task))
			case rng.IntN(4) == 0:
				must.NoError(t, cached.db.CloseTask(ctx, postgres.Task{ID: id, Status: "completed", CompletedBy: "ana"}))
			case rng.IntN(6) == 0:
				_, err := cached.db.Pool().Exec(ctx, "DELETE FROM tasks WHERE id = $1", id)
				must.NoError(t, err)
				delete(tasks, id)
				continue
			case rng.IntN(5) == 0: // someone moves to another team
				u := users[rng.IntN(len(users))]
				_, err := cached.db.UpsertUser(ctx, postgres.User{ID: u, Name: u, Role: roleMember, Groups: pick(groups, 2)})
				must.NoError(t, err)
			default: // reassign, claim or release
				task.Assignees, task.CandidateGroups, task.ClaimedBy = pick(users, 2), pick(groups, 2), ""
				if rng.IntN(3) == 0 {
					task.ClaimedBy = users[rng.IntN(len(users))]
				}
				must.NoError(t, cached.db.OpenTask(ctx, task))
			}
			tasks[id] = task
		}
		cached.srv.caches.sync(ctx)

		hits := cacheReads(cached, "inbox", "hit")
		for _, u := range users {
			for _, path := range paths {
				want := cold.do(u, http.MethodGet, path, nil, nil)
				must.Equal(t, http.StatusOK, want.status, want.raw)
				if path == paths[3] { // the second page
					path += fmt.Sprint(want.body["next_page_token"])
					want = cold.do(u, http.MethodGet, path, nil, nil)
				}
				for read := range 2 { // the second read is answered from memory
					got := cached.do(u, http.MethodGet, path, nil, nil)
					must.Equal(t, want.raw, got.raw, "round %d, %s reads %s (read %d)", round, u, path, read)
				}
			}
		}
		must.GreaterOrEqual(t, cacheReads(cached, "inbox", "hit")-hits, float64(len(users)*len(paths)),
			"every second read is a hit")
	}
	must.Positive(t, cacheReads(cached, "keys", "hit"))
}

// TestReadCachesReadYourWrites: a changing request answers only once the caches know
// what changed before it, so the caller's next read sees it — here a completion
// recorded by the worker while the request waits, and a revoked key.
func TestReadCachesReadYourWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cached, _ := cachedServer(t)
	cached.addUser("ana", "ops")
	must.NoError(t, cached.db.OpenTask(ctx, postgres.Task{ID: "t1", RunID: "r1", StepID: "s", Definition: "expense",
		Title: "First", Assignees: []string{"ana"}}))
	cached.srv.caches.sync(ctx)
	first := cached.do("ana", http.MethodGet, "/v1/tasks", nil, nil)
	must.Len(t, first.body["tasks"], 1, first.raw)

	// What a completion does: the run writes the next task, then the request answers.
	must.NoError(t, cached.db.CloseTask(ctx, postgres.Task{ID: "t1", Status: "completed", CompletedBy: "ana"}))
	must.NoError(t, cached.db.OpenTask(ctx, postgres.Task{ID: "t2", RunID: "r1", StepID: "s2", Definition: "expense",
		Title: "Second", CandidateGroups: []string{"ops"}}))
	cached.srv.caches.sync(ctx)
	next := cached.do("ana", http.MethodGet, "/v1/tasks", nil, nil)
	must.Len(t, next.body["tasks"], 1, next.raw)
	must.Equal(t, "t2", next.body["tasks"].([]any)[0].(map[string]any)["id"])

	// A key revoked in the directory is refused from the next request on.
	must.Equal(t, http.StatusOK, cached.do("mallory", http.MethodGet, "/v1/tasks", nil, nil).status)
	_, err := cached.db.Pool().Exec(ctx, "DELETE FROM api_keys WHERE user_id = 'mallory'")
	must.NoError(t, err)
	cached.srv.caches.sync(ctx)
	cached.do("mallory", http.MethodGet, "/v1/tasks", nil, nil).problem(t, http.StatusUnauthorized)
}

// TestReadCachesWithoutTheFeed: when the listener's connection dies, nothing is answered
// from memory until it is back, and what was cached before is dropped.
func TestReadCachesWithoutTheFeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cached, _ := cachedServer(t)
	cached.addUser("ana")
	must.NoError(t, cached.db.OpenTask(ctx, postgres.Task{ID: "t1", RunID: "r1", StepID: "s", Definition: "expense", Assignees: []string{"ana"}}))
	cached.srv.caches.sync(ctx)
	for range 2 {
		must.Len(t, cached.do("ana", http.MethodGet, "/v1/tasks", nil, nil).body["tasks"], 1)
	}
	must.Positive(t, cacheReads(cached, "inbox", "hit"))

	// Cut the feed, then change the inbox while nobody listens.
	var cut int
	must.NoError(t, cached.db.Pool().QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%LISTEN handoff_cache_sync%'`).Scan(&cut))
	must.Equal(t, 1, cut, "one listener connection")
	must.NoError(t, cached.db.OpenTask(ctx, postgres.Task{ID: "t2", RunID: "r2", StepID: "s", Definition: "expense", Assignees: []string{"ana"}}))
	// The API notices the closed connection at once; until it listens again (and has
	// dropped what it had), nothing is answered from memory.
	waitFor(t, "the second task to be answered", func() bool {
		return len(cached.do("ana", http.MethodGet, "/v1/tasks", nil, nil).body["tasks"].([]any)) == 2
	})
	waitFor(t, "the change feed to come back", cached.srv.caches.answering)
	for range 2 {
		must.Len(t, cached.do("ana", http.MethodGet, "/v1/tasks", nil, nil).body["tasks"], 2)
	}
}

// TestCachedPageExpiresWhenATaskFallsDue: a page's overdue flags are answered fresh even
// when nothing was written: the page expires at its first due date.
func TestCachedPageExpiresWhenATaskFallsDue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cached, _ := cachedServer(t)
	cached.addUser("ana")
	due := time.Now().Add(300 * time.Millisecond)
	must.NoError(t, cached.db.OpenTask(ctx, postgres.Task{ID: "t1", RunID: "r1", StepID: "s", Definition: "expense",
		Assignees: []string{"ana"}, DueAt: &due}))
	cached.srv.caches.sync(ctx)
	overdue := func() bool {
		r := cached.do("ana", http.MethodGet, "/v1/tasks", nil, nil)
		return r.body["tasks"].([]any)[0].(map[string]any)["overdue"].(bool)
	}
	must.False(t, overdue())
	waitFor(t, "the task to be answered overdue", overdue)
}

// TestReadCachesStopWhenTheFeedStalls: a connection that stalls without closing (a
// network partition) sends no error; the missing heartbeats turn the caches off within
// cacheMaxStale, and they come back once markers arrive again.
func TestReadCachesStopWhenTheFeedStalls(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	raw := testenv.DatabaseURL(t)
	direct, err := postgres.Open(ctx, raw)
	must.NoError(t, err)
	t.Cleanup(direct.Close)
	must.NoError(t, direct.Migrate(ctx))
	u, err := url.Parse(raw)
	must.NoError(t, err)
	proxy := newStallProxy(t, u.Host)
	u.Host = proxy.addr
	db, err := postgres.Open(ctx, u.String())
	must.NoError(t, err)
	t.Cleanup(db.Close)
	srv := New(Config{}, db, nil, definitions.NewEngine(), slog.New(slog.DiscardHandler))
	t.Cleanup(srv.Close)
	on := srv.caches.answering
	waitFor(t, "the change feed to be listened to", on)

	proxy.stall(true)
	began := time.Now()
	waitFor(t, "the caches to turn off", func() bool { return !on() })
	must.Less(t, time.Since(began), cacheMaxStale+500*time.Millisecond)
	proxy.stall(false)
	waitFor(t, "the caches to turn on again", on)
}

// stallProxy forwards TCP connections to a server and can stop forwarding without
// closing anything.
type stallProxy struct {
	addr    string
	mu      sync.Mutex
	stalled bool
	resumed *sync.Cond
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must.NoError(t, err)
	p := &stallProxy{addr: ln.Addr().String()}
	p.resumed = sync.NewCond(&p.mu)
	var conns []net.Conn
	var connsMu sync.Mutex
	t.Cleanup(func() {
		p.stall(false)
		_ = ln.Close()
		connsMu.Lock()
		defer connsMu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				_ = in.Close()
				continue
			}
			connsMu.Lock()
			conns = append(conns, in, out)
			connsMu.Unlock()
			go p.pipe(in, out)
			go p.pipe(out, in)
		}
	}()
	return p
}

func (p *stallProxy) stall(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled = on
	p.resumed.Broadcast()
}

func (p *stallProxy) pipe(from, to net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := from.Read(buf)
		p.mu.Lock()
		for p.stalled {
			p.resumed.Wait()
		}
		p.mu.Unlock()
		if n > 0 {
			if _, werr := to.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			_ = to.Close()
			return
		}
	}
}
