package outbox

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/internal/safehttp"
	"github.com/handoffhq/handoff/internal/secrets"
	"github.com/handoffhq/handoff/internal/testenv"
	"github.com/handoffhq/handoff/internal/webhook"
	"github.com/handoffhq/handoff/postgres"
)

func TestMain(m *testing.M) { testenv.Run(m) }

// newDB opens a migrated store on a fresh database.
func newDB(t *testing.T) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), testenv.DatabaseURL(t))
	require.NoError(t, err)
	t.Cleanup(db.Close)
	require.NoError(t, db.Migrate(context.Background()))
	return db
}

func newBox(t *testing.T) *secrets.Box {
	t.Helper()
	key, err := secrets.ParseKey(secrets.NewKey())
	require.NoError(t, err)
	box, err := secrets.NewBox(key)
	require.NoError(t, err)
	return box
}

// loopbackClient is the SSRF-guarded client with loopback (on port) allowlisted, as
// the test configuration of a real deployment would.
func loopbackClient(t *testing.T, rawURL string) *http.Client {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	port, err := strconv.ParseUint(u.Port(), 10, 16)
	require.NoError(t, err)
	return safehttp.NewClient(safehttp.Config{
		Allow:   []safehttp.Destination{{Prefix: netip.MustParsePrefix("127.0.0.1/32"), Port: uint16(port)}},
		Timeout: 5 * time.Second,
	})
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// subscribe stores a subscription whose secret is sealed with box and returns the secret.
func subscribe(t *testing.T, db *postgres.DB, box *secrets.Box, id, target string, events ...string) string {
	t.Helper()
	secret := webhook.NewSecret()
	_, err := db.CreateSubscription(context.Background(), postgres.Subscription{
		ID: id, URL: target, Events: events, SealedSecret: box.Seal(SecretName(id), []byte(secret)),
	})
	require.NoError(t, err)
	return secret
}

// sink is a webhook receiver on loopback that answers the statuses it is given, then 200.
type sink struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []received
}

type received struct {
	At     time.Time
	Header http.Header
	Body   []byte
}

func newSink(t *testing.T, statuses ...int) *sink {
	s := &sink{statuses: statuses}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, received{At: time.Now(), Header: r.Header.Clone(), Body: body})
		status := http.StatusOK
		if len(s.statuses) > 0 {
			status, s.statuses = s.statuses[0], s.statuses[1:]
		}
		s.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sink) requests() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// deliverUntil runs the dispatcher until done holds, failing the test after 10 s.
func deliverUntil(t *testing.T, d *Dispatcher, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !done() {
		require.True(t, time.Now().Before(deadline), "condition not met within 10s")
		_, err := d.DeliverDue(context.Background())
		require.NoError(t, err)
		time.Sleep(5 * time.Millisecond)
	}
}

// item returns the one delivery queued with the dedupe key prefix.
func item(t *testing.T, db *postgres.DB, prefix string) postgres.OutboxItem {
	t.Helper()
	items, err := db.ListOutbox(context.Background(), postgres.OutboxFilter{KeyPrefix: prefix})
	require.NoError(t, err)
	require.Len(t, items, 1, prefix)
	return items[0]
}
