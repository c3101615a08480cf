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
// or deactivated user is an answer (Found false), not an error.
func (a *Activities) LookupUser(ctx context.Context, id string) (workflows.DirectoryUser, error) {
	u, err := a.DB.User(ctx, id)
	if errors.Is(err, postgres.ErrNotFound) {
		return workflows.DirectoryUser{ID: id}, nil
	}
	if err != nil {
		return workflows.DirectoryUser{}, fmt.Errorf("look up user %s: %w", id, err)
	}
	if u.DeactivatedAt != nil {
		return workflows.DirectoryUser{ID: id}, nil
	}
	return workflows.DirectoryUser{ID: u.ID, Found: true, Groups: u.Groups, Admin: u.Role == "admin"}, nil
}

// maxManagerHops bounds the walk up a chain of deactivated managers.
const maxManagerHops = 10

// manager is whom a task for u's manager goes to: u's manager, or, while that one is
// deactivated, their manager in turn, so that no task waits on someone who has left.
// "" when the chain ends (or loops) before an active manager. A manager unknown to the
// directory is named as it is, as before deactivation existed.
func (a *Activities) manager(ctx context.Context, u postgres.User) (string, error) {
	id := u.Manager
	for range maxManagerHops {
		if id == "" || id == u.ID {
			return "", nil
		}
		m, err := a.DB.User(ctx, id)
		if errors.Is(err, postgres.ErrNotFound) {
			return id, nil
		}
		if err != nil {
			return "", fmt.Errorf("look up manager %s: %w", id, err)
		}
		if m.DeactivatedAt == nil {
			return m.ID, nil
		}
		id = m.Manager
	}
	return "", nil
}
