package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

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

	// Scope, expiry and last use.
	c, err := db.Credential(ctx, "deadbeef")
	require.NoError(t, err)
	require.Equal(t, ScopeAPI, c.Key.Scope)
	require.Nil(t, c.Key.ExpiresAt)
	require.NotNil(t, c.Key.LastUsedAt, "a use is recorded")
	first := *c.Key.LastUsedAt
	soon := time.Now().Add(time.Hour)
	codec, err := db.IssueAPIKey(ctx, APIKey{UserID: "alice", Prefix: "hk_co", Scope: ScopeCodec, ExpiresAt: &soon}, "c0dec")
	require.NoError(t, err)
	require.Equal(t, ScopeCodec, codec.Scope)
	require.WithinDuration(t, soon, *codec.ExpiresAt, time.Millisecond)
	_, err = db.UserByAPIKeyHash(ctx, "c0dec")
	require.ErrorIs(t, err, ErrNotFound, "a codec key is not a full key")
	past := time.Now().Add(-time.Second)
	_, err = db.IssueAPIKey(ctx, APIKey{UserID: "alice", Prefix: "hk_ol", ExpiresAt: &past}, "01d")
	require.NoError(t, err)
	_, err = db.Credential(ctx, "01d")
	require.ErrorIs(t, err, ErrNotFound, "an expired key authenticates nothing")

	keys, err := db.ListAPIKeys(ctx, "alice", "", 0)
	require.NoError(t, err)
	require.Len(t, keys, 3)
	var listed APIKey
	for _, k := range keys {
		if k.ID == key.ID {
			listed = k
		}
	}
	require.NotNil(t, listed.LastUsedAt)
	require.WithinDuration(t, first, *listed.LastUsedAt, time.Second, "the last use is listed")
	again, err := db.Credential(ctx, "deadbeef")
	require.NoError(t, err)
	require.Equal(t, listed.LastUsedAt.UTC(), again.Key.LastUsedAt.UTC(), "written at most once a minute")
	none, err := db.ListAPIKeys(ctx, "bob", "", 0)
	require.NoError(t, err)
	require.Empty(t, none)

	require.NoError(t, db.RevokeAPIKey(ctx, key.ID))
	_, err = db.Credential(ctx, "deadbeef")
	require.ErrorIs(t, err, ErrNotFound, "a revoked key authenticates nothing")
	require.ErrorIs(t, db.RevokeAPIKey(ctx, key.ID), ErrNotFound)
	require.NoError(t, db.RevokeAPIKeyHash(ctx, "c0dec", ScopeAPI))
	_, err = db.Credential(ctx, "c0dec")
	require.NoError(t, err, "only a key of the scope named is revoked")
	require.NoError(t, db.RevokeAPIKeyHash(ctx, "c0dec", ScopeCodec))
	_, err = db.Credential(ctx, "c0dec")
	require.ErrorIs(t, err, ErrNotFound)
}

// FindPeople matches the start of an id or of a word of a name, case ignored, by name;
// LIKE's wildcards typed are text.
func TestFindPeople(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	for _, u := range []User{{ID: "hana", Name: "Hana Helper"}, {ID: "hal", Name: "Hal Jordan"}, {ID: "zed", Name: "Ada Halvorsen"},
		{ID: "pct", Name: "100% Sure"}, {ID: "x_y", Name: "Xavier"}} {
		_, err := db.CreateUser(ctx, u)
		require.NoError(t, err)
	}
	names := func(q string, limit int) []string {
		ps, err := db.FindPeople(ctx, q, limit)
		require.NoError(t, err)
		out := []string{}
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	require.Equal(t, []string{"zed", "hal", "hana"}, names("ha", 10), "by name: Ada Halvorsen, Hal Jordan, Hana Helper")
	require.Equal(t, []string{"hana"}, names("HELP", 10))
	require.Equal(t, []string{"zed"}, names("ha", 1))
	require.Empty(t, names("elper", 10), "the start of a word only")
	require.Equal(t, []string{"pct"}, names("100%", 10))
	require.Empty(t, names("%", 10), "a wildcard is text")
	require.Equal(t, []string{"x_y"}, names("x_", 10))
	require.Empty(t, names("_", 10))
}

func ptr[T any](v T) *T { return &v }

// TestUserDeactivation: a partial update changes only what it names; a deactivated user's
// API key, session and sign-in link sign nobody in, their sessions end, the picker and
// group members leave them out; reactivated, the key works again and the sessions stay
// ended.
func TestUserDeactivation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	_, err := db.CreateUser(ctx, User{ID: "boss", Name: "Boss"})
	require.NoError(t, err)
	eve, err := db.CreateUser(ctx, User{ID: "eve", Name: "Eve Example", Email: "eve@example.com", Groups: []string{"ops"}, Manager: "boss"})
	require.NoError(t, err)

	name, groups := "Eve Other", []string{"ops", "hr"}
	got, err := db.UpdateUser(ctx, "eve", UserChange{Name: &name, Groups: &groups})
	require.NoError(t, err)
	require.Equal(t, "Eve Other", got.Name)
	require.Equal(t, []string{"ops", "hr"}, got.Groups)
	require.Equal(t, "eve@example.com", got.Email, "left as it was")
	require.Equal(t, "boss", got.Manager, "left as it was")
	empty, none := "", []string{}
	got, err = db.UpdateUser(ctx, "eve", UserChange{Manager: &empty, Groups: &none})
	require.NoError(t, err)
	require.Equal(t, "", got.Manager, "cleared")
	require.Equal(t, []string{}, got.Groups, "cleared")
	_, err = db.UpdateUser(ctx, "nobody", UserChange{Name: &name})
	require.ErrorIs(t, err, ErrNotFound)
	groups = []string{"ops"}
	_, err = db.UpdateUser(ctx, "eve", UserChange{Groups: &groups})
	require.NoError(t, err)

	_, err = db.CreateAPIKey(ctx, "eve", "hk_eve", "eve-hash")
	require.NoError(t, err)
	require.NoError(t, db.CreateSession(ctx, "eve-session", "eve", time.Now().Add(time.Hour)))
	require.NoError(t, db.CreateSignInLink(ctx, "eve-link", "eve", time.Now().Add(time.Hour)))
	require.Nil(t, eve.DeactivatedAt)

	off, err := db.DeactivateUser(ctx, "eve")
	require.NoError(t, err)
	require.NotNil(t, off.DeactivatedAt)
	again, err := db.DeactivateUser(ctx, "eve")
	require.NoError(t, err)
	require.True(t, off.DeactivatedAt.Equal(*again.DeactivatedAt), "deactivating twice keeps the first time")
	_, err = db.Credential(ctx, "eve-hash")
	require.ErrorIs(t, err, ErrNotFound, "the key authenticates nobody")
	_, err = db.SessionUser(ctx, "eve-session")
	require.ErrorIs(t, err, ErrNotFound, "the session signs nobody in")
	_, err = db.SignInLinkUser(ctx, "eve-link")
	require.ErrorIs(t, err, ErrNotFound)
	_, err = db.TakeSignInLink(ctx, "eve-link")
	require.ErrorIs(t, err, ErrNotFound)
	members, err := db.GroupMembers(ctx, "ops")
	require.NoError(t, err)
	require.Empty(t, members)
	people, err := db.FindPeople(ctx, "eve", 10)
	require.NoError(t, err)
	require.Empty(t, people)
	_, err = db.UpdateUser(ctx, "boss", UserChange{Manager: ptr("eve")})
	require.NoError(t, err)
	emailed, err := db.Recipients(ctx, []string{PrincipalUser, PrincipalGroup, PrincipalManagerOf}, []string{"eve", "ops", "boss"})
	require.NoError(t, err)
	require.Empty(t, emailed, "no email reaches a deactivated user, as themselves, a group member or a manager")
	u, err := db.User(ctx, "eve")
	require.NoError(t, err)
	require.NotNil(t, u.DeactivatedAt, "still in the directory")
	_, err = db.DeactivateUser(ctx, "nobody")
	require.ErrorIs(t, err, ErrNotFound)

	on, err := db.ReactivateUser(ctx, "eve")
	require.NoError(t, err)
	require.Nil(t, on.DeactivatedAt)
	cred, err := db.Credential(ctx, "eve-hash")
	require.NoError(t, err)
	require.Equal(t, "eve", cred.User.ID)
	_, err = db.SessionUser(ctx, "eve-session")
	require.ErrorIs(t, err, ErrNotFound, "deactivating ended the session for good")
	members, err = db.GroupMembers(ctx, "ops")
	require.NoError(t, err)
	require.Equal(t, []string{"eve"}, members)
	_, err = db.ReactivateUser(ctx, "nobody")
	require.ErrorIs(t, err, ErrNotFound)
}
