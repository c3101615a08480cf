package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/handoffhq/handoff/postgres"
)

// newBootstrapCmd makes a fresh deployment usable: the first admin and an API key for
// them, kept in a file. Run it after `handoff migrate`, as often as you like.
func newBootstrapCmd(cfg *Config) *cobra.Command {
	var u postgres.User
	var keyFile string
	cmd := &cobra.Command{
		Use:   "bootstrap --key-file PATH",
		Short: "Make sure the first admin exists and has an API key, kept in a file (idempotent)",
		Long: `bootstrap creates (or updates) the admin user and writes an API key for them to
--key-file (mode 0600). Run again, it keeps the key in the file while that key still
works, so deployments can run it on every start. The key is never printed.`,
		Example: "  handoff bootstrap --key-file /run/handoff-secrets/admin/key",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if keyFile == "" {
				return errors.New("--key-file is required")
			}
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := adminKey(cmd.Context(), db, u, keyFile); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "admin %s is ready; their API key is in %s\n", u.ID, keyFile)
			return nil
		},
	}
	cmd.Flags().StringVar(&keyFile, "key-file", "", "where the admin's API key is kept (required)")
	cmd.Flags().StringVar(&u.ID, "id", "admin", "the admin's user id")
	cmd.Flags().StringVar(&u.Name, "name", "Admin", "the admin's display name")
	cmd.Flags().StringVar(&u.Email, "email", "", "the admin's email address")
	return cmd
}
