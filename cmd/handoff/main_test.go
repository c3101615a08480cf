package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/internal/testenv"
	"github.com/handoffhq/handoff/postgres"
)

func TestMain(m *testing.M) { testenv.Run(m) }

// stack is a running Handoff (API and worker in one Main) on real Temporal and Postgres,
// with a few users and their keys.
type stack struct {
	t    *testing.T
	main *Main
	url  string
	keys map[string]string // user id → API key
	logs *logBuffer        // everything the stack logged
}

// logBuffer collects a stack's log output; slog handlers serialise their writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newStack starts Main on 127.0.0.1:0 over the package's dev server and a fresh database.
// Options adjust the configuration before it starts (e.g. allowlisting a loopback sink).
func newStack(t *testing.T, opts ...func(*Config)) *stack {
	t.Helper()
	return newStackWith(t, nil, opts...)
}

// startStack is newStack; dev turns on what only `handoff dev` offers (Main.Dev).
func startStack(t *testing.T, dev bool, opts ...func(*Config)) *stack {
	t.Helper()
	return newStackWith(t, func(m *Main) { m.Dev = dev }, opts...)
}

// newStackWith is newStack with Main adjusted before it runs (e.g. its outbound transport).
func newStackWith(t *testing.T, adjust func(*Main), opts ...func(*Config)) *stack {
	t.Helper()
	tmp := testenv.Temporal(t)
	cfg := Config{
		DatabaseURL: testenv.DatabaseURL(t), HTTPAddr: "127.0.0.1:0", PublicURL: "http://localhost",
		TemporalAddress: tmp.HostPort, TemporalNamespace: tmp.Namespace, LogLevel: "warn", LogFormat: "text",
		// Each stack polls its own task queue: a run left behind by an earlier test (a
		// timer, a schedule) must never reach this stack's worker and database.
		TaskQueue: "handoff-test-" + randomSuffix(),
	}
	for _, o := range opts {
		o(&cfg)
	}
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(testLogOutput(), logs), nil))
	m := &Main{Config: cfg, Logger: logger, API: true, Worker: true, Migrate: true}
	if adjust != nil {
		adjust(m)
	}
	require.NoError(t, m.Run(context.Background()))
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	s := &stack{t: t, main: m, url: "http://" + m.Addr(), keys: map[string]string{}, logs: logs}
	s.addUser(postgres.User{ID: "admin", Name: "Ada Admin", Role: "admin"})
	s.addUser(postgres.User{ID: "dana", Name: "Dana Designer", Role: "designer"})
	s.addUser(postgres.User{ID: "alice", Name: "Alice", Role: "member", Groups: []string{"hr"}})
	s.addUser(postgres.User{ID: "bob", Name: "Bob", Role: "member", Groups: []string{"finance"}})
	s.addUser(postgres.User{ID: "mallory", Name: "Mallory", Role: "member"})
	s.addUser(postgres.User{ID: "audrey", Name: "Audrey Auditor", Role: "auditor"})
	return s
}

func (s *stack) addUser(u postgres.User) {
	s.t.Helper()
	if u.Groups == nil {
		u.Groups = []string{}
	}
	_, err := s.main.DB.CreateUser(context.Background(), u)
	require.NoError(s.t, err)
	key, hash := api.NewKey()
	_, err = s.main.DB.CreateAPIKey(context.Background(), u.ID, key[:7], hash)
	require.NoError(s.t, err)
	s.keys[u.ID] = key
}

// response is a decoded HTTP answer.
type response struct {
	Status      int
	ContentType string
	Body        map[string]any
	Raw         string
}

// do sends a request as user ("" sends no key); body is JSON-encoded unless it is a string or []byte.
func (s *stack) do(user, method, path string, body any, headers ...string) response {
	s.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		require.NoError(s.t, err)
		r = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, s.url+path, r)
	require.NoError(s.t, err)
	if user != "" {
		key, ok := s.keys[user]
		if !ok {
			key = user // lets tests send a bogus key
		}
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(s.t, err)
	out := response{Status: res.StatusCode, ContentType: res.Header.Get("Content-Type"), Raw: string(raw)}
	if len(raw) > 0 && raw[0] == '{' {
		require.NoError(s.t, json.Unmarshal(raw, &out.Body), string(raw))
	}
	return out
}

// must asserts the status and returns the body.
func (r response) must(t *testing.T, status int) map[string]any {
	t.Helper()
	require.Equal(t, status, r.Status, r.Raw)
	return r.Body
}

// problem asserts an RFC 9457 error with the status and returns its field errors as field → message.
func (r response) problem(t *testing.T, status int) map[string]string {
	t.Helper()
	require.Equal(t, status, r.Status, r.Raw)
	require.Equal(t, "application/problem+json", r.ContentType, r.Raw)
	require.EqualValues(t, status, r.Body["status"], r.Raw)
	require.NotEmpty(t, r.Body["title"], r.Raw)
	fields := map[string]string{}
	if errs, ok := r.Body["errors"].([]any); ok {
		for _, e := range errs {
			m := e.(map[string]any)
			name, _ := m["field"].(string)
			if name == "" {
				name, _ = m["path"].(string)
			}
			fields[name], _ = m["message"].(string)
		}
	}
	return fields
}

// testLogOutput is where the stack logs: nowhere, unless HANDOFF_TEST_LOG is set.
func testLogOutput() io.Writer {
	if os.Getenv("HANDOFF_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}

// userWithGroups is a member in the given groups.
func userWithGroups(id string, groups ...string) postgres.User {
	return postgres.User{ID: id, Name: id, Role: "member", Groups: groups}
}

// eventually polls cond until it holds or 20 s pass.
func eventually(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// randomSuffix is eight random hex digits.
func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
