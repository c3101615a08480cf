package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/postgres"
)

func newMigrateCmd(cfg *Config) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database migrations",
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Migrate(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "migrations applied")
			return nil
		},
	}
}

func printDefinitionError(cmd *cobra.Command, name string, src []byte, err error) {
	var list *definitions.ErrorList
	if errors.As(err, &list) {
		fmt.Fprint(cmd.ErrOrStderr(), list.Format(name, src))
		return
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", name, err)
}

func newPublishCmd(cfg *Config) *cobra.Command {
	var by string
	cmd := &cobra.Command{
		Use:   "publish FILE...",
		Short: "Validate and publish definitions as new immutable versions",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			bad := 0
			for _, name := range args {
				if err := publishFile(cmd.Context(), cmd, db, name, by); err != nil {
					bad++
				}
			}
			if bad > 0 {
				return exitError{fmt.Sprintf("%d of %d definitions were not published", bad, len(args))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&by, "by", "cli", "user id recorded as the publisher")
	return cmd
}

// publishFile publishes one file, reporting the outcome on the command's output.
func publishFile(ctx context.Context, cmd *cobra.Command, db *postgres.DB, name, by string) error {
	src, err := os.ReadFile(name)
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", name, err)
		return err
	}
	d, created, err := api.Publish(ctx, db, src, by)
	if err != nil {
		printDefinitionError(cmd, name, src, err)
		return err
	}
	verb := "unchanged, still"
	if created {
		verb = "published as"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %s %s v%d (%s)\n", name, verb, d.Key, d.Version, d.Hash)
	return nil
}

func newUsersCmd(cfg *Config) *cobra.Command {
	users := &cobra.Command{Use: "users", Short: "Manage the directory"}
	var u postgres.User
	var groups string
	add := &cobra.Command{
		Use:   "add",
		Short: "Add or update a user",
		Example: "  handoff users add --id alice --name 'Alice Example' --email alice@example.com \\\n" +
			"      --role member --groups finance,hr --manager bob",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if u.ID == "" || u.Name == "" {
				return errors.New("--id and --name are required")
			}
			switch u.Role {
			case "admin", "designer", "auditor", "member":
			default:
				return fmt.Errorf("--role must be admin, designer, auditor or member, not %q", u.Role)
			}
			u.Groups = splitList(groups)
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			saved, err := db.UpsertUser(cmd.Context(), u)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "user %s (%s, %s) saved\n", saved.ID, saved.Name, saved.Role)
			return nil
		},
	}
	add.Flags().StringVar(&u.ID, "id", "", "user id (required)")
	add.Flags().StringVar(&u.Name, "name", "", "display name (required)")
	add.Flags().StringVar(&u.Email, "email", "", "email address")
	add.Flags().StringVar(&u.Role, "role", "member", "admin, designer, auditor (sees every run) or member")
	add.Flags().StringVar(&groups, "groups", "", "comma-separated group names")
	add.Flags().StringVar(&u.Manager, "manager", "", "user id of the manager")
	users.AddCommand(add, newUsersListCmd(cfg), newUsersUpdateCmd(cfg), newUsersActiveCmd(cfg, true), newUsersActiveCmd(cfg, false))
	return users
}

func newKeysCmd(cfg *Config) *cobra.Command {
	keys := &cobra.Command{Use: "keys", Short: "Manage API keys"}
	var (
		user      string
		expiresIn time.Duration
	)
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API key for a user and print it (it is shown only once)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if user == "" {
				return errors.New("--user is required")
			}
			if expiresIn < 0 {
				return errors.New("--expires-in must be positive")
			}
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			key, hash := api.NewKey()
			k := postgres.APIKey{UserID: user, Prefix: key[:7]}
			if expiresIn > 0 {
				at := time.Now().Add(expiresIn).UTC()
				k.ExpiresAt = &at
			}
			if _, err := db.IssueAPIKey(cmd.Context(), k, hash); err != nil {
				if errors.Is(err, postgres.ErrNotFound) {
					return fmt.Errorf("no user %q: add it first with `handoff users add`", user)
				}
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), key)
			return nil
		},
	}
	create.Flags().StringVar(&user, "user", "", "user id the key acts as (required)")
	create.Flags().DurationVar(&expiresIn, "expires-in", 0, "the key expires after this long (e.g. 720h); default never")

	var listUser string
	list := &cobra.Command{
		Use:   "list",
		Short: "List API keys (never the keys themselves) with their scope, expiry and last use",
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tUSER\tPREFIX\tSCOPE\tCREATED\tEXPIRES\tLAST USED")
			for after := ""; ; {
				page, err := db.ListAPIKeys(cmd.Context(), listUser, after, 1000)
				if err != nil {
					return err
				}
				for _, k := range page {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.UserID, k.Prefix, k.Scope,
						k.CreatedAt.UTC().Format(time.RFC3339), timeOr(k.ExpiresAt, "never"), timeOr(k.LastUsedAt, "never"))
				}
				if len(page) < 1000 {
					break
				}
				after = page[len(page)-1].ID
			}
			return w.Flush()
		},
	}
	list.Flags().StringVar(&listUser, "user", "", "only this user's keys")

	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API key by its id (from `handoff keys list`): it authenticates nothing from then on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.RevokeAPIKey(cmd.Context(), args[0]); err != nil {
				if errors.Is(err, postgres.ErrNotFound) {
					return fmt.Errorf("no API key with id %q (see `handoff keys list`)", args[0])
				}
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "API key %s revoked\n", args[0])
			return nil
		},
	}
	keys.AddCommand(create, list, revoke)
	return keys
}

// timeOr formats t in RFC 3339, or says none when it is nil.
func timeOr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}

func openDB(ctx context.Context, cfg *Config) (*postgres.DB, error) {
	if cfg.fileErr != nil {
		return nil, cfg.fileErr
	}
	if cfg.DatabaseURL == "" {
		return nil, errors.New("HANDOFF_DATABASE_URL is not set (with `make run` running, see README.md)")
	}
	return postgres.Open(ctx, cfg.DatabaseURL)
}

func splitList(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
