package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/api"
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
		if base, ok := strings.CutSuffix(name, "_FILE"); ok {
			name = base // every variable may come from a file
		}
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
	require.Equal(t, []string{"ID", "NAME", "ROLE", "EMAIL", "GROUPS", "MANAGER", "STATUS"}, strings.Fields(lines[0]))
	require.Equal(t, []string{"ada", "Ada", "Admin", "admin", "ada@example.com", "-", "-", "active"}, strings.Fields(lines[1]))
	require.Equal(t, []string{"bob", "Bob", "member", "-", "finance,hr", "ada", "active"}, strings.Fields(lines[2]))
}

// TestUsersUpdate: `handoff users update` changes only the flags given, names every
// field at fault by the API's rules; `deactivate` and `reactivate` show in `list`.
func TestUsersUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.DatabaseURL(t)
	db, err := postgres.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(db.Close)
	require.NoError(t, db.Migrate(ctx))
	for _, u := range []postgres.User{
		{ID: "ada", Name: "Ada Admin", Role: "admin"},
		{ID: "bob", Name: "Bob", Role: "member", Email: "bob@example.com", Groups: []string{"finance"}, Manager: "ada"},
		{ID: "gone", Name: "Gone"},
	} {
		_, err := db.CreateUser(ctx, u)
		require.NoError(t, err)
	}
	cfg := Config{DatabaseURL: url}
	out, err := runCLI(t, cfg, "users", "update", "bob", "--role", "designer", "--groups", "hr,ops")
	require.NoError(t, err, out)
	require.Contains(t, out, "user bob (Bob, designer) saved")
	bob, err := db.User(ctx, "bob")
	require.NoError(t, err)
	require.Equal(t, []string{"hr", "ops"}, bob.Groups)
	require.Equal(t, "bob@example.com", bob.Email, "not given, kept")
	require.Equal(t, "ada", bob.Manager, "not given, kept")

	_, err = runCLI(t, cfg, "users", "update", "bob", "--role", "boss", "--email", "nope", "--manager", "bob")
	require.ErrorContains(t, err, "role: must be admin, designer, auditor or member")
	require.ErrorContains(t, err, "email: is not an email address")
	require.ErrorContains(t, err, "manager: a user cannot manage themselves")
	_, err = runCLI(t, cfg, "users", "update", "bob")
	require.ErrorContains(t, err, "nothing to change")
	_, err = runCLI(t, cfg, "users", "update", "nobody", "--name", "N")
	require.ErrorContains(t, err, `user "nobody"`)

	out, err = runCLI(t, cfg, "users", "deactivate", "gone")
	require.NoError(t, err, out)
	require.Contains(t, out, "user gone deactivated:")
	_, err = runCLI(t, cfg, "users", "update", "bob", "--manager", "gone")
	require.ErrorContains(t, err, `manager: user "gone" is deactivated`)
	out, err = runCLI(t, cfg, "users", "list")
	require.NoError(t, err)
	require.Regexp(t, `(?m)^gone\s+Gone\s+member\s+-\s+-\s+-\s+deactivated:`, out)
	out, err = runCLI(t, cfg, "users", "reactivate", "gone")
	require.NoError(t, err, out)
	require.Contains(t, out, "user gone active")
	_, err = runCLI(t, cfg, "users", "deactivate", "nobody")
	require.ErrorContains(t, err, `no user "nobody"`)
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

// TestSettingFromFile: a variable given as <NAME>_FILE is read from that file; a file
// that cannot be read is a configuration error naming it.
func TestSettingFromFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db-url")
	require.NoError(t, os.WriteFile(path, []byte("postgres://handoff:s3cret@db/handoff\n"), 0o600))
	env := map[string]string{"HANDOFF_DATABASE_URL_FILE": path, "HANDOFF_LOG_LEVEL": "warn"}
	cfg := ConfigFromEnv(func(k string) string { return env[k] })
	require.Equal(t, "postgres://handoff:s3cret@db/handoff", cfg.DatabaseURL)
	require.NoError(t, cfg.Validate())
	env["HANDOFF_DATABASE_URL"] = "postgres://direct"
	require.Equal(t, "postgres://direct", ConfigFromEnv(func(k string) string { return env[k] }).DatabaseURL, "the variable itself wins")
	env = map[string]string{"HANDOFF_SECRETS_KEY_FILE": filepath.Join(t.TempDir(), "missing")}
	require.ErrorContains(t, ConfigFromEnv(func(k string) string { return env[k] }).Validate(), "HANDOFF_SECRETS_KEY_FILE")
}

// TestBootstrap: `handoff bootstrap` makes the first admin and keeps their key in a file;
// run again it keeps the same key.
func TestBootstrap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.DatabaseURL(t)
	db, err := postgres.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(db.Close)
	require.NoError(t, db.Migrate(ctx))
	keyFile := filepath.Join(t.TempDir(), "admin-key")
	out, err := runCLI(t, Config{DatabaseURL: url}, "bootstrap", "--key-file", keyFile, "--name", "Ada")
	require.NoError(t, err)
	require.Contains(t, out, keyFile)
	first, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	require.NotContains(t, out, strings.TrimSpace(string(first)), "the key is not printed")
	u, err := db.UserByAPIKeyHash(ctx, api.HashKey(strings.TrimSpace(string(first))))
	require.NoError(t, err)
	require.Equal(t, "admin", u.ID)
	require.Equal(t, "admin", u.Role)
	info, err := os.Stat(keyFile)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	_, err = runCLI(t, Config{DatabaseURL: url}, "bootstrap", "--key-file", keyFile)
	require.NoError(t, err)
	again, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	require.Equal(t, first, again, "a key that works is kept")
	_, err = runCLI(t, Config{DatabaseURL: url}, "bootstrap")
	require.ErrorContains(t, err, "--key-file")
}
