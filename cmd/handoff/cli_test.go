package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/internal/testenv"
	"github.com/handoffhq/handoff/postgres"
)

// runCLI runs the binary's command tree with args and returns what it printed.
func runCLI(t *testing.T, cfg Config, args ...string) (string, error) {
	t.Helper()
	root := newRoot(&cfg)
	var out bytes.Buffer
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestVersion(t *testing.T) {
	t.Parallel()
	out, err := runCLI(t, Config{}, "--version")
	require.NoError(t, err)
	require.Regexp(t, `^handoff \S+.*go1\.\d+`, out)
}

// TestUnknownCommand: an unknown command, at the top or in a group, is an error that
// suggests the command meant.
func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serv"}, "serve"},
		{[]string{"users", "lst"}, "list"},
		{[]string{"keys", "craete"}, "create"},
		{[]string{"secrets", "del"}, "delete"},
	} {
		_, err := runCLI(t, Config{}, tc.args...)
		require.Error(t, err, "%v", tc.args)
		require.Contains(t, err.Error(), "unknown command", "%v", tc.args)
		require.Contains(t, err.Error(), "Did you mean this?", "%v", tc.args)
		require.Contains(t, err.Error(), "\t"+tc.want+"\n", "%v", tc.args)
	}
	out, err := runCLI(t, Config{}, "users")
	require.NoError(t, err, "a group without a command shows its help")
	require.Contains(t, out, "Available Commands")
}

// TestSettingsListed: every variable ConfigFromEnv reads is in the settings table, and
// serve's and worker's help list the ones each reads.
func TestSettingsListed(t *testing.T) {
	t.Parallel()
	listed := map[string]setting{}
	for _, s := range settings {
		listed[s.name] = s
	}
	ConfigFromEnv(func(name string) string {
		require.Contains(t, listed, name, "%s is read but not in settings (env.go)", name)
		return ""
	})
	serve, err := runCLI(t, Config{}, "serve", "--help")
	require.NoError(t, err)
	worker, err := runCLI(t, Config{}, "worker", "--help")
	require.NoError(t, err)
	for _, name := range []string{"HANDOFF_DATABASE_URL", "TEMPORAL_ADDRESS", "HANDOFF_SECRETS_KEY", "HANDOFF_ENCRYPTION_KEYS"} {
		require.Contains(t, serve, name)
		require.Contains(t, worker, name)
	}
	require.Contains(t, serve, "HANDOFF_HTTP_ADDR")
	require.NotContains(t, worker, "HANDOFF_HTTP_ADDR")
	require.Contains(t, worker, "HANDOFF_SMTP_ADDR")
	require.NotContains(t, serve, "HANDOFF_SMTP_ADDR")
	require.Contains(t, worker, "HANDOFF_METRICS_ADDR")
}

// TestUsersList: `handoff users list` prints every user of the directory, across pages.
func TestUsersList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.DatabaseURL(t)
	db, err := postgres.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(db.Close)
	require.NoError(t, db.Migrate(ctx))
	for _, u := range []postgres.User{
		{ID: "ada", Name: "Ada Admin", Role: "admin", Email: "ada@example.com"},
		{ID: "bob", Name: "Bob", Role: "member", Groups: []string{"finance", "hr"}, Manager: "ada"},
	} {
		_, err := db.CreateUser(ctx, u)
		require.NoError(t, err)
	}
	out, err := runCLI(t, Config{DatabaseURL: url}, "users", "list")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	require.Equal(t, []string{"ID", "NAME", "ROLE", "EMAIL", "GROUPS", "MANAGER"}, strings.Fields(lines[0]))
	require.Equal(t, []string{"ada", "Ada", "Admin", "admin", "ada@example.com", "-", "-"}, strings.Fields(lines[1]))
	require.Equal(t, []string{"bob", "Bob", "member", "-", "finance,hr", "ada"}, strings.Fields(lines[2]))
}

// TestHealthCommand: `handoff health` succeeds on a ready API and fails otherwise.
func TestHealthCommand(t *testing.T) {
	t.Parallel()
	var ready atomic.Bool
	ready.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/readyz", r.URL.Path)
		if !ready.Load() {
			http.Error(w, `{"detail":"temporal is not reachable"}`, http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"status":"ready"}`))
	}))
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "http://")
	out, err := runCLI(t, Config{HTTPAddr: addr}, "health")
	require.NoError(t, err)
	require.Contains(t, out, "ready")
	ready.Store(false)
	_, err = runCLI(t, Config{HTTPAddr: addr}, "health")
	require.ErrorContains(t, err, "temporal is not reachable")
	_, err = runCLI(t, Config{HTTPAddr: "127.0.0.1:1"}, "health")
	require.Error(t, err)
	require.Equal(t, "http://127.0.0.1:8080", localURL(":8080"))
	require.Equal(t, "http://127.0.0.1:8080", localURL("0.0.0.0:8080"))
}
