package api

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"testing"

	must "github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/postgres"
)

// TestUpdateUser: PATCH /v1/users/{id} changes only the fields it names, names every
// field at fault (422), refuses an unknown or deactivated manager and an admin's own
// demotion, and is for admins only.
func TestUpdateUser(t *testing.T) {
	t.Parallel()
	ts := withAdmin(newTestServer(t, Config{}))
	ctx := context.Background()
	_, err := ts.db.CreateUser(ctx, postgres.User{ID: "bob", Name: "Bob", Email: "bob@example.com", Groups: []string{"finance"}, Manager: "ada"})
	must.NoError(t, err)
	_, err = ts.db.CreateUser(ctx, postgres.User{ID: "gone", Name: "Gone"})
	must.NoError(t, err)
	_, err = ts.db.DeactivateUser(ctx, "gone")
	must.NoError(t, err)

	res := ts.do("ada", "PATCH", "/v1/users/bob", map[string]any{"name": "Robert", "groups": []string{"hr", "ops"}}, nil)
	must.Equal(t, http.StatusOK, res.status, res.raw)
	must.Equal(t, "Robert", res.body["name"])
	must.Equal(t, []any{"hr", "ops"}, res.body["groups"])
	must.Equal(t, "bob@example.com", res.body["email"], "left out, kept")
	must.Equal(t, "ada", res.body["manager"], "left out, kept")
	must.Equal(t, "member", res.body["role"])
	must.NotContains(t, res.body, "deactivated_at")
	res = ts.do("ada", "PATCH", "/v1/users/bob", map[string]any{"email": "", "manager": "", "groups": []string{}, "role": "designer"}, nil)
	must.Equal(t, http.StatusOK, res.status, res.raw)
	must.NotContains(t, res.body, "email", "cleared")
	must.NotContains(t, res.body, "manager", "cleared")
	must.Equal(t, []any{}, res.body["groups"])
	must.Equal(t, "designer", res.body["role"])
	got, err := ts.db.User(ctx, "bob")
	must.NoError(t, err)
	must.Equal(t, "Robert", got.Name, "stored")

	fields := ts.do("ada", "PATCH", "/v1/users/bob", map[string]any{"name": "", "email": "nope", "role": "boss",
		"groups": []string{"ok", "Bad Group"}, "manager": "bob"}, nil).problem(t, http.StatusUnprocessableEntity)
	must.ElementsMatch(t, []string{"email", "groups[1]", "manager", "name", "role"}, slices.Collect(maps.Keys(fields)))
	for body, field := range map[string]string{
		`{"manager": "ghost"}`: "manager",
		`{"manager": "gone"}`:  "manager",
	} {
		fields := ts.do("ada", "PATCH", "/v1/users/bob", body, nil).problem(t, http.StatusUnprocessableEntity)
		must.Contains(t, fields, field, body)
	}
	must.Contains(t, ts.do("ada", "PATCH", "/v1/users/bob", `{"manager": "gone"}`, nil).problem(t, http.StatusUnprocessableEntity)["manager"], "deactivated")
	must.Contains(t, ts.do("ada", "PATCH", "/v1/users/ada", map[string]any{"role": "member"}, nil).problem(t, http.StatusUnprocessableEntity), "role",
		"an admin cannot demote themselves")
	must.Contains(t, ts.do("ada", "PATCH", "/v1/users/bob", map[string]any{"id": "robert"}, nil).problem(t, http.StatusUnprocessableEntity), "id",
		"an id is not changed")
	ts.do("ada", "PATCH", "/v1/users/ghost", map[string]any{"name": "G"}, nil).problem(t, http.StatusNotFound)
	ts.do("mallory", "PATCH", "/v1/users/bob", map[string]any{"name": "Hacked"}, nil).problem(t, http.StatusForbidden)
	ts.do("mallory", "PATCH", "/v1/users/mallory", map[string]any{"role": "admin"}, nil).problem(t, http.StatusForbidden)
	res = ts.do("ada", "PATCH", "/v1/users/bob", map[string]any{}, nil)
	must.Equal(t, http.StatusOK, res.status, "an empty change changes nothing: %s", res.raw)
	must.Equal(t, "Robert", res.body["name"])
}

// TestDeactivateUser: a deactivated user's API key is refused at once (401) and back
// after reactivation; nobody can give them a key or make them a manager; an admin cannot
// deactivate themselves; admins only.
func TestDeactivateUser(t *testing.T) {
	t.Parallel()
	ts := withAdmin(newTestServer(t, Config{}))
	must.Equal(t, http.StatusOK, ts.do("mallory", "GET", "/v1/definitions", nil, nil).status)

	ts.do("mallory", "POST", "/v1/users/dana/deactivate", nil, nil).problem(t, http.StatusForbidden)
	ts.do("mallory", "POST", "/v1/users/mallory/reactivate", nil, nil).problem(t, http.StatusForbidden)
	ts.do("ada", "POST", "/v1/users/ada/deactivate", nil, nil).problem(t, http.StatusConflict)
	ts.do("ada", "POST", "/v1/users/ghost/deactivate", nil, nil).problem(t, http.StatusNotFound)
	ts.do("ada", "POST", "/v1/users/ghost/reactivate", nil, nil).problem(t, http.StatusNotFound)

	res := ts.do("ada", "POST", "/v1/users/mallory/deactivate", nil, nil)
	must.Equal(t, http.StatusOK, res.status, res.raw)
	at := res.body["deactivated_at"]
	must.NotEmpty(t, at)
	ts.do("mallory", "GET", "/v1/definitions", nil, nil).problem(t, http.StatusUnauthorized)
	again := ts.do("ada", "POST", "/v1/users/mallory/deactivate", nil, nil)
	must.Equal(t, http.StatusOK, again.status, again.raw)
	must.Equal(t, at, again.body["deactivated_at"], "deactivating twice keeps the first time")
	got := ts.do("ada", "GET", "/v1/users/mallory", nil, nil)
	must.Equal(t, at, got.body["deactivated_at"], "still in the directory")

	must.Contains(t, ts.do("ada", "POST", "/v1/api-keys", map[string]any{"user": "mallory"}, nil).problem(t, http.StatusUnprocessableEntity)["user"], "deactivated")
	must.Contains(t, ts.do("ada", "POST", "/v1/users", map[string]any{"id": "newbie", "name": "N", "manager": "mallory"}, nil).problem(t, http.StatusUnprocessableEntity)["manager"], "deactivated")

	res = ts.do("ada", "POST", "/v1/users/mallory/reactivate", nil, nil)
	must.Equal(t, http.StatusOK, res.status, res.raw)
	must.NotContains(t, res.body, "deactivated_at")
	must.Equal(t, http.StatusOK, ts.do("mallory", "GET", "/v1/definitions", nil, nil).status, "her key works again")
}
