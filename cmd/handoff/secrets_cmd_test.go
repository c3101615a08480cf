package main

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/internal/safehttp"
	"github.com/handoffhq/handoff/internal/secrets"
	"github.com/handoffhq/handoff/internal/testenv"
	"github.com/handoffhq/handoff/postgres"
)

func TestOutboundConfig(t *testing.T) {
	t.Parallel()
	key := secrets.NewKey()
	tests := []struct {
		env map[string]string
		err string
	}{
		{map[string]string{}, ""},
		{map[string]string{"HANDOFF_HTTP_ALLOW": "10.0.0.0/8, 127.0.0.1:8080", "HANDOFF_HTTP_MAX_BODY": "2048", "HANDOFF_SECRETS_KEY": key}, ""},
		{map[string]string{"HANDOFF_HTTP_ALLOW": "internal.example.com"}, "HANDOFF_HTTP_ALLOW"},
		{map[string]string{"HANDOFF_HTTP_MAX_BODY": "1MB"}, "HANDOFF_HTTP_MAX_BODY"},
		{map[string]string{"HANDOFF_HTTP_MAX_BODY": "0"}, "HANDOFF_HTTP_MAX_BODY"},
		{map[string]string{"HANDOFF_SECRETS_KEY": "c2hvcnQ="}, "HANDOFF_SECRETS_KEY"},
	}
	for _, tc := range tests {
		cfg := ConfigFromEnv(func(k string) string { return tc.env[k] })
		err := cfg.Validate()
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, "%v", tc.env)
			continue
		}
		require.NoError(t, err, "%v", tc.env)
	}

	cfg := ConfigFromEnv(func(k string) string { return tests[1].env[k] })
	h, err := cfg.SafeHTTP()
	require.NoError(t, err)
	require.Equal(t, []safehttp.Destination{{Prefix: netip.MustParsePrefix("10.0.0.0/8")},
		{Prefix: netip.MustParsePrefix("127.0.0.1/32"), Port: 8080}}, h.Allow)
	require.EqualValues(t, 2048, h.MaxBodyBytes)
	require.EqualValues(t, 1<<20, ConfigFromEnv(func(string) string { return "" }).HTTPMaxBody, "default 1 MiB")
	box, err := cfg.SecretsBox()
	require.NoError(t, err)
	require.NotNil(t, box)
}

func TestDevSecretsKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secrets-key")
	first, err := devSecretsKey(path)
	require.NoError(t, err)
	_, err = secrets.ParseKey(first)
	require.NoError(t, err)
	again, err := devSecretsKey(path)
	require.NoError(t, err)
	require.Equal(t, first, again, "the key is kept")
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	require.NoError(t, os.WriteFile(path, []byte("garbage"), 0o600))
	_, err = devSecretsKey(path)
	require.Error(t, err, "a broken key file is reported, not replaced")
}

// TestSecretsCommand: `handoff secrets set NAME` seals standard input into Postgres under
// HANDOFF_SECRETS_KEY; list shows names only; delete removes.
func TestSecretsCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.DatabaseURL(t)
	db, err := postgres.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(db.Close)
	require.NoError(t, db.Migrate(ctx))
	cfg := Config{DatabaseURL: url, SecretsKey: secrets.NewKey()}
	run := func(cfg Config, stdin string, args ...string) (string, error) {
		root := newRoot(&cfg)
		var out bytes.Buffer
		root.SetArgs(args)
		root.SetIn(strings.NewReader(stdin))
		root.SetOut(&out)
		root.SetErr(&out)
		err := root.ExecuteContext(ctx)
		return out.String(), err
	}

	out, err := run(cfg, "tok-123\n", "secrets", "set", "crm-token")
	require.NoError(t, err)
	require.NotContains(t, out, "tok-123")
	box, err := cfg.SecretsBox()
	require.NoError(t, err)
	r := secrets.Resolver{Store: db, Box: box}
	v, err := r.Resolve(ctx, "crm-token")
	require.NoError(t, err)
	require.Equal(t, "tok-123", v, "one trailing newline dropped")

	out, err = run(cfg, "", "secrets", "list")
	require.NoError(t, err)
	require.Contains(t, out, "crm-token")
	require.NotContains(t, out, "tok-123")

	for _, bad := range []struct {
		cfg   Config
		stdin string
		args  []string
		err   string
	}{
		{cfg, "x", []string{"secrets", "set", "bad.name"}, "secret name"},
		{cfg, "\n", []string{"secrets", "set", "EMPTY"}, "empty"},
		{Config{DatabaseURL: url}, "x", []string{"secrets", "set", "NOKEY"}, "HANDOFF_SECRETS_KEY"},
		{cfg, "", []string{"secrets", "delete", "nope"}, "no secret"},
		{cfg, "", []string{"secrets", "set"}, "arg"},
	} {
		_, err := run(bad.cfg, bad.stdin, bad.args...)
		require.ErrorContains(t, err, bad.err, "%v", bad.args)
	}

	_, err = run(cfg, "", "secrets", "delete", "crm-token")
	require.NoError(t, err)
	_, err = db.Secret(ctx, "crm-token")
	require.ErrorIs(t, err, postgres.ErrNotFound)
}

// TestKeysCommand: `handoff keys create --expires-in` makes a key that expires, `keys list
// --user` shows it with its last use (never the key), `keys revoke ID` ends it.
func TestKeysCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.DatabaseURL(t)
	db, err := postgres.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(db.Close)
	require.NoError(t, db.Migrate(ctx))
	run := func(args ...string) (string, error) {
		cfg := Config{DatabaseURL: url}
		root := newRoot(&cfg)
		var out bytes.Buffer
		root.SetArgs(args)
		root.SetOut(&out)
		root.SetErr(&out)
		err := root.ExecuteContext(ctx)
		return out.String(), err
	}
	_, err = run("users", "add", "--id", "ivy", "--name", "Ivy", "--role", "auditor")
	require.NoError(t, err)
	key, err := run("keys", "create", "--user", "ivy", "--expires-in", "720h")
	require.NoError(t, err)
	key = strings.TrimSpace(key)
	c, err := db.Credential(ctx, api.HashKey(key))
	require.NoError(t, err)
	require.Equal(t, "auditor", c.User.Role)
	require.WithinDuration(t, time.Now().Add(720*time.Hour), *c.Key.ExpiresAt, time.Minute)

	out, err := run("keys", "list", "--user", "ivy")
	require.NoError(t, err)
	require.Contains(t, out, c.Key.ID)
	require.Contains(t, out, c.Key.Prefix)
	require.NotContains(t, out, key)
	require.NotContains(t, out, "never", "its expiry and last use are listed")

	_, err = run("keys", "revoke", c.Key.ID)
	require.NoError(t, err)
	_, err = db.Credential(ctx, api.HashKey(key))
	require.ErrorIs(t, err, postgres.ErrNotFound)
	_, err = run("keys", "revoke", c.Key.ID)
	require.ErrorContains(t, err, "no API key")
	_, err = run("keys", "create", "--user", "ivy", "--expires-in", "soon")
	require.Error(t, err)
}
