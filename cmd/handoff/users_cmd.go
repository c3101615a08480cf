package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// newUsersListCmd lists the directory, every user, by id.
func newUsersListCmd(cfg *Config) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the directory: every user with role, email, groups and manager",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tNAME\tROLE\tEMAIL\tGROUPS\tMANAGER")
			for after := ""; ; {
				page, err := db.ListUsers(cmd.Context(), after, 1000)
				if err != nil {
					return err
				}
				for _, u := range page {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Name, u.Role, dash(u.Email),
						dash(strings.Join(u.Groups, ",")), dash(u.Manager))
				}
				if len(page) < 1000 {
					return w.Flush()
				}
				after = page[len(page)-1].ID
			}
		},
	}
}

// dash shows an empty column as "-", so that columns stay readable.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
