package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// LookupUser reads a user's groups and role from the directory. A completion sent as a
// Signal (from the Temporal CLI or Web) names its actor but, unlike the API's Updates,
// comes with nobody authenticated: the run asks the directory who that is. An unknown
// user is an answer (Found false), not an error.
func (a *Activities) LookupUser(ctx context.Context, id string) (workflows.DirectoryUser, error) {
	u, err := a.DB.User(ctx, id)
	if errors.Is(err, postgres.ErrNotFound) {
		return workflows.DirectoryUser{ID: id}, nil
	}
	if err != nil {
		return workflows.DirectoryUser{}, fmt.Errorf("look up user %s: %w", id, err)
	}
	return workflows.DirectoryUser{ID: u.ID, Found: true, Groups: u.Groups, Admin: u.Role == "admin"}, nil
}
