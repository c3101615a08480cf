package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/postgres"
)

// newUsersListCmd lists the directory, every user, by id.
func newUsersListCmd(cfg *Config) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the directory: every user with role, email, groups, manager and status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tNAME\tROLE\tEMAIL\tGROUPS\tMANAGER\tSTATUS")
			for after := ""; ; {
				page, err := db.ListUsers(cmd.Context(), after, 1000)
				if err != nil {
					return err
				}
				for _, u := range page {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Name, u.Role, dash(u.Email),
						dash(strings.Join(u.Groups, ",")), dash(u.Manager), status(u))
				}
				if len(page) < 1000 {
					return w.Flush()
				}
				after = page[len(page)-1].ID
			}
		},
	}
}

// status is "active", or "deactivated" and since when.
func status(u postgres.User) string {
	if u.DeactivatedAt == nil {
		return "active"
	}
	return "deactivated:" + u.DeactivatedAt.UTC().Format("2006-01-02T15:04:05Z")
}

// newUsersUpdateCmd changes the fields of a user its flags name, by the rules of
// PATCH /v1/users/{id} (api.EditUser).
func newUsersUpdateCmd(cfg *Config) *cobra.Command {
	var name, email, role, groups, manager string
	cmd := &cobra.Command{
		Use:   "update ID",
		Short: "Change a user's name, email, role, groups or manager (only the flags given)",
		Example: "  handoff users update alice --role designer --groups finance,hr\n" +
			"  handoff users update alice --manager ''   # no manager",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var req api.UpdateUserRequest
			f := cmd.Flags()
			for flag, field := range map[string]**string{"name": &req.Name, "email": &req.Email, "role": &req.Role, "manager": &req.Manager} {
				if f.Changed(flag) {
					v, _ := f.GetString(flag)
					*field = &v
				}
			}
			if f.Changed("groups") {
				g := splitList(groups)
				req.Groups = &g
			}
			if req == (api.UpdateUserRequest{}) {
				return errors.New("nothing to change: give --name, --email, --role, --groups or --manager")
			}
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			u, err := api.EditUser(cmd.Context(), db, args[0], req)
			if err != nil {
				return problemError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "user %s (%s, %s) saved\n", u.ID, u.Name, u.Role)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "display name")
	cmd.Flags().StringVar(&email, "email", "", "email address ('' clears it)")
	cmd.Flags().StringVar(&role, "role", "", "admin, designer, auditor or member")
	cmd.Flags().StringVar(&groups, "groups", "", "comma-separated group names, replacing the user's ('' clears them)")
	cmd.Flags().StringVar(&manager, "manager", "", "user id of an active manager ('' clears it)")
	return cmd
}

// newUsersActiveCmd deactivates or reactivates a user (api.Server.DeactivateUser's
// rules, less the caller: the command line is the operator).
func newUsersActiveCmd(cfg *Config, deactivate bool) *cobra.Command {
	use, short := "reactivate ID", "Reactivate a user: they sign in again, their API keys work again unless revoked"
	if deactivate {
		use, short = "deactivate ID", "Deactivate a user: their API keys and sessions are refused at once; no new tasks reach them"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			change := db.ReactivateUser
			if deactivate {
				change = db.DeactivateUser
			}
			u, err := change(cmd.Context(), args[0])
			if errors.Is(err, postgres.ErrNotFound) {
				return fmt.Errorf("no user %q", args[0])
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "user %s %s\n", u.ID, status(u))
			return nil
		},
	}
}

// problemError words an API refusal for the command line, with every field at fault.
func problemError(err error) error {
	var p *api.Problem
	if !errors.As(err, &p) {
		return err
	}
	msg := p.Detail
	for _, f := range p.Errors {
		msg += fmt.Sprintf("\n  %s: %s", f.Field, f.Message)
	}
	return errors.New(msg)
}

// dash shows an empty column as "-", so that columns stay readable.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
