package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUsers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)

	alice, err := db.CreateUser(ctx, User{ID: "alice", Name: "Alice", Email: "alice@example.com", Role: "admin", Groups: []string{"finance", "ops"}})
	require.NoError(t, err)
	require.Equal(t, "admin", alice.Role)
	require.Equal(t, []string{"finance", "ops"}, alice.Groups)
	require.False(t, alice.CreatedAt.IsZero())

	bob, err := db.CreateUser(ctx, User{ID: "bob", Name: "Bob", Manager: "alice"})
	require.NoError(t, err)
	require.Equal(t, "member", bob.Role, "empty role defaults to member")
	require.Equal(t, []string{}, bob.Groups)

	_, err = db.CreateUser(ctx, User{ID: "alice", Name: "Other"})
	require.ErrorIs(t, err, ErrConflict)

	got, err := db.User(ctx, "bob")
	require.NoError(t, err)
	require.Equal(t, bob, got)

	_, err = db.User(ctx, "nobody")
	require.ErrorIs(t, err, ErrNotFound)

	updated, err := db.UpsertUser(ctx, User{ID: "bob", Name: "Robert", Role: "designer", Groups: []string{"ops"}})
	require.NoError(t, err)
	require.Equal(t, "Robert", updated.Name)
	require.Equal(t, "designer", updated.Role)
	require.Equal(t, "", updated.Manager)
	require.Equal(t, bob.CreatedAt, updated.CreatedAt, "upsert keeps created_at")

	carol, err := db.UpsertUser(ctx, User{ID: "carol", Groups: []string{"finance"}})
	require.NoError(t, err)
	require.Equal(t, "carol", carol.ID)

	_, err = db.UpsertUser(ctx, User{ID: "dave", Role: "owner"})
	require.Error(t, err, "roles are checked")

	tests := []struct {
		group string
		want  []string
	}{
		{"finance", []string{"alice", "carol"}},
		{"ops", []string{"alice", "bob"}},
		{"nobody", []string{}},
	}
	for _, tt := range tests {
		t.Run("members of "+tt.group, func(t *testing.T) {
			got, err := db.GroupMembers(ctx, tt.group)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestListUsersPagination(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)

	var want []string
	for i := range 23 {
		id := fmt.Sprintf("user-%02d", i)
		want = append(want, id)
		_, err := db.CreateUser(ctx, User{ID: id})
		require.NoError(t, err)
	}

	var got []string
	after, pages := "", 0
	for {
		page, err := db.ListUsers(ctx, after, 5)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		require.LessOrEqual(t, len(page), 5)
		for _, u := range page {
			got = append(got, u.ID)
		}
		after = page[len(page)-1].ID
		pages++
	}
	require.Equal(t, want, got)
	require.Equal(t, 5, pages)

	all, err := db.ListUsers(ctx, "", 0)
	require.NoError(t, err)
	require.Len(t, all, 23, "limit 0 means the default page size")
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)

	_, err := db.CreateAPIKey(ctx, "ghost", "hk_ab", "deadbeef")
	require.ErrorIs(t, err, ErrNotFound, "unknown user")

	alice, err := db.CreateUser(ctx, User{ID: "alice", Groups: []string{"ops"}})
	require.NoError(t, err)
	key, err := db.CreateAPIKey(ctx, "alice", "hk_ab", "deadbeef")
	require.NoError(t, err)
	require.NotEmpty(t, key.ID)
	require.Equal(t, "alice", key.UserID)
	require.Equal(t, "hk_ab", key.Prefix)
	require.False(t, key.CreatedAt.IsZero())

	_, err = db.CreateAPIKey(ctx, "alice", "hk_cd", "deadbeef")
	require.ErrorIs(t, err, ErrConflict, "hashes are unique")

	got, err := db.UserByAPIKeyHash(ctx, "deadbeef")
	require.NoError(t, err)
	require.Equal(t, alice, got)

	_, err = db.UserByAPIKeyHash(ctx, "cafebabe")
	require.ErrorIs(t, err, ErrNotFound)
}
