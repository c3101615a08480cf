package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/handoffhq/handoff/internal/secrets"
	"github.com/handoffhq/handoff/postgres"
)

func newSecretsCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{Use: "secrets", Short: "Manage the secrets http steps reference by name"}
	set := &cobra.Command{
		Use:   "set NAME",
		Short: "Store a secret, reading its value from standard input (one trailing newline is dropped)",
		Example: `  printf '%s' "$CRM_TOKEN" | handoff secrets set crm-token
  handoff secrets set crm-token < token.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return setSecret(cmd, cfg, args[0])
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List stored secrets (names and dates, never values)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			infos, err := db.ListSecretNames(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tUPDATED")
			for _, s := range infos {
				fmt.Fprintf(w, "%s\t%s\n", s.Name, s.UpdatedAt.UTC().Format(time.RFC3339))
			}
			return w.Flush()
		},
	}
	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a stored secret",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.DeleteSecret(cmd.Context(), args[0]); errors.Is(err, postgres.ErrNotFound) {
				return fmt.Errorf("no secret %q", args[0])
			} else if err != nil {
				return err
			}
			return nil
		},
	}
	cmd.AddCommand(set, list, del)
	return cmd
}

// setSecret seals standard input under HANDOFF_SECRETS_KEY and stores it as name.
func setSecret(cmd *cobra.Command, cfg *Config, name string) error {
	if !secrets.ValidName(name) {
		return fmt.Errorf("secret name %q %s", name, secrets.NameRule)
	}
	box, err := cfg.SecretsBox()
	if err != nil {
		return err
	}
	if box == nil {
		return errors.New("HANDOFF_SECRETS_KEY is not set: stored secrets are sealed with it (with `make run`, use the key in .data/secrets-key)")
	}
	raw, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), 16<<10+2))
	if err != nil {
		return fmt.Errorf("read the value from standard input: %w", err)
	}
	value := strings.TrimSuffix(strings.TrimSuffix(string(raw), "\n"), "\r")
	if value == "" {
		return errors.New("the value on standard input is empty")
	}
	if len(value) > 16<<10 {
		return errors.New("the value is larger than 16384 bytes")
	}
	db, err := openDB(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.PutSecret(cmd.Context(), name, box.Seal(name, []byte(value))); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "stored secret %s\n", name)
	return nil
}

// devSecretsKey returns the key kept in path, generating it on first use, so that
// `handoff dev` can store secrets without any setup.
func devSecretsKey(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		key := strings.TrimSpace(string(b))
		if _, err := secrets.ParseKey(key); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		return key, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	key := secrets.NewKey()
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return key, nil
}
