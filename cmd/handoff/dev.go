package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/internal/devstack"
	"github.com/handoffhq/handoff/postgres"
)

// Ports of the local stack started by `handoff dev`.
const (
	devTemporalAddr = "127.0.0.1:7233"
	devUIPort       = 8233
	devPostgresPort = 54329
)

func newDevCmd(cfg *Config) *cobra.Command {
	return &cobra.Command{
		Use:   "dev",
		Short: "Run the whole stack on this machine: Temporal dev server, Postgres, worker and API",
		Long: `dev starts everything on embedded defaults: the Temporal dev server (file-backed in
.data/, Web UI on :8233), a local Postgres cluster in .data/ (unless HANDOFF_DATABASE_URL is
set), then the worker and the API (:8080) in this process. It publishes definitions/examples,
creates a dev admin user and key, and prints the key. Ctrl-C stops it all; state is kept.

` + envHelp(true, true),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := *cfg
			if os.Getenv("HANDOFF_LOG_FORMAT") == "" {
				c.LogFormat = "text"
			}
			return runDev(cmd.Context(), c, cmd.OutOrStdout())
		},
	}
}

// runDev brings the local stack up, waits for the context to end, and brings it down.
func runDev(ctx context.Context, cfg Config, out io.Writer) (err error) {
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dataDir, err)
	}
	serverLog, err := os.OpenFile(filepath.Join(dataDir, "servers.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer func() { _ = serverLog.Close() }() // a log written unbuffered: nothing is pending at Close

	cli, err := devstack.EnsureTemporalCLI(ctx, ".bin", out)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "Starting the Temporal dev server…")
	tmp, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{
		CLIPath: cli, DBFile: filepath.Join(dataDir, "temporal.db"), HostPort: devTemporalAddr,
		UIPort: devUIPort, Namespace: cfg.TemporalNamespace,
		SearchAttributes: devstack.HandoffSearchAttributes, Log: serverLog,
		CodecEndpoint: devCodecEndpoint(cfg),
	})
	if err != nil {
		return fmt.Errorf("start temporal (its log: %s): %w", serverLog.Name(), err)
	}
	defer func() { err = errors.Join(err, tmp.Stop()) }()
	cfg.TemporalAddress = tmp.HostPort

	if cfg.DatabaseURL == "" {
		if _, err := devstack.EnsurePostgres(ctx, out); err != nil {
			return err
		}
		fmt.Fprintln(out, "Starting Postgres…")
		pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{
			Dir: filepath.Join(dataDir, "postgres"), Port: devPostgresPort, Log: serverLog})
		if err != nil {
			return fmt.Errorf("start postgres: %w", err)
		}
		defer func() { err = errors.Join(err, pg.Stop()) }()
		cfg.DatabaseURL = pg.URL
	}

	if cfg.SecretsKey == "" {
		if cfg.SecretsKey, err = devSecretsKey(filepath.Join(dataDir, "secrets-key")); err != nil {
			return err
		}
	}
	m := &Main{Config: cfg, Logger: cfg.Logger(), API: true, Worker: true, Migrate: true, Dev: true}
	defer func() { err = errors.Join(err, m.Close()) }()
	if err := m.Run(ctx); err != nil {
		return err
	}
	publishExamples(ctx, m.DB, out)
	key, err := adminKey(ctx, m.DB, postgres.User{ID: "admin", Name: "Dev Admin", Email: "admin@localhost"},
		filepath.Join(dataDir, "dev-admin-key"))
	if err != nil {
		return err
	}
	link, err := m.web.SignInLink(ctx, "admin")
	if err != nil {
		return err
	}
	printBanner(out, m, tmp, key, link, dataDir)
	if codec := devCodecEndpoint(cfg); codec != "" {
		fmt.Fprintf(out, `Payloads are encrypted. To read them in Temporal Web (docs/encryption.md):
  1. open %s/session in that browser and paste the dev admin key;
  2. in Temporal Web, glasses icon: "Use my browser setting and ignore Cluster-level setting",
     endpoint %s, "Include cross-origin credentials" on, Apply.
`, codec, codec)
	}
	<-ctx.Done()
	fmt.Fprintln(out, "\nStopping Handoff, Postgres and Temporal…")
	return nil
}

// publishExamples publishes definitions/examples/*.yaml (see publishAll).
func publishExamples(ctx context.Context, db *postgres.DB, out io.Writer) {
	files, _ := filepath.Glob(filepath.Join("definitions", "examples", "*.yaml"))
	publishAll(ctx, db, files, out)
}

// publishAll publishes the files in an order that works whatever their names: one whose
// subprocess target is not published yet is tried again once another has been published.
// What cannot be published is reported, not fatal.
func publishAll(ctx context.Context, db *postgres.DB, files []string, out io.Writer) {
	failed := map[string]error{}
	for len(files) > 0 {
		var again []string
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				failed[f] = err
				continue
			}
			d, created, err := api.Publish(ctx, db, src, "dev")
			switch {
			case err != nil:
				failed[f] = err
				again = append(again, f)
			case created:
				delete(failed, f)
				fmt.Fprintf(out, "  published %s v%d\n", d.Key, d.Version)
			default:
				delete(failed, f)
				fmt.Fprintf(out, "  %s v%d is up to date\n", d.Key, d.Version)
			}
		}
		if len(again) == len(files) {
			break // no progress
		}
		files = again
	}
	for _, f := range slices.Sorted(maps.Keys(failed)) {
		fmt.Fprintf(out, "  %s: not published: %v\n", f, failed[f])
	}
}

// adminKey makes sure the admin user u exists and returns its key: the one kept in path
// when it still works, or a new one written there (0600).
func adminKey(ctx context.Context, db *postgres.DB, u postgres.User, path string) (string, error) {
	u.Role, u.Groups = "admin", []string{}
	if _, err := db.UpsertUser(ctx, u); err != nil {
		return "", fmt.Errorf("create admin %s: %w", u.ID, err)
	}
	if b, err := os.ReadFile(path); err == nil {
		key := strings.TrimSpace(string(b))
		if owner, err := db.UserByAPIKeyHash(ctx, api.HashKey(key)); err == nil && owner.ID == u.ID {
			return key, nil
		}
	}
	key, hash := api.NewKey()
	if _, err := db.CreateAPIKey(ctx, u.ID, key[:7], hash); err != nil {
		return "", fmt.Errorf("create a key for admin %s: %w", u.ID, err)
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return key, nil
}

func printBanner(out io.Writer, m *Main, tmp *devstack.Temporal, key, link, dataDir string) {
	api := "http://" + m.Addr()
	if strings.HasPrefix(m.Addr(), "[::]") || strings.HasPrefix(m.Addr(), "0.0.0.0") {
		api = "http://localhost:" + m.Addr()[strings.LastIndex(m.Addr(), ":")+1:]
	}
	fmt.Fprintf(out, `
Handoff is running.

  Web app        %s/   (sign in as the dev admin, once, within an hour:
                 %s
                 or pick anyone in the directory at %s/signin)
  API            %s   (try: curl -H "Authorization: Bearer $(cat %s)" %s/v1/definitions)
  Temporal Web   %s
  Temporal       %s (namespace %s)
  Postgres       %s
  Dev admin key  %s   (also in %s)

Press Ctrl-C to stop. Runs, tasks and definitions are kept in %s.
`, strings.TrimSuffix(m.Config.PublicURL, "/"), link, strings.TrimSuffix(m.Config.PublicURL, "/"),
		api, filepath.Join(dataDir, "dev-admin-key"), api, tmp.UIURL, tmp.HostPort, tmp.Namespace,
		redact(m.Config.DatabaseURL), key, filepath.Join(dataDir, "dev-admin-key"), dataDir)
}

// redact hides a password in a database URL.
func redact(url string) string {
	at := strings.LastIndex(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 {
		return url
	}
	userinfo := url[scheme+3 : at]
	if user, _, ok := strings.Cut(userinfo, ":"); ok {
		return url[:scheme+3] + user + ":***" + url[at:]
	}
	return url
}

// devCodecEndpoint is the codec server Temporal Web calls when payload encryption is
// on: Handoff's own /codec, where the public URL reaches it. "" when encryption is off.
func devCodecEndpoint(cfg Config) string {
	if cfg.EncryptionKeys == "" {
		return ""
	}
	return strings.TrimSuffix(cfg.PublicURL, "/") + "/codec"
}
