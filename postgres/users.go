package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

// User is a directory entry.
type User struct {
	ID, Name, Email string
	Role            string // "admin" | "designer" | "member"; "" is stored as "member"
	Groups          []string
	Manager         string // user id or ""
	CreatedAt       time.Time
	// DeactivatedAt is when the user was deactivated; nil while active. A deactivated
	// user authenticates nothing (Credential, SessionUser and the sign-in links find
	// nobody) and is offered to nobody (FindPeople, GroupMembers, email recipients).
	DeactivatedAt *time.Time
}

// UserChange is a partial update of a user: nil leaves a field as it is.
type UserChange struct {
	Name, Email, Role, Manager *string
	Groups                     *[]string
}

// APIKey describes a stored API key. Only the SHA-256 (hex) of the key is
// stored, plus a short display prefix.
type APIKey struct {
	ID, UserID, Prefix string
	// Scope is ScopeAPI (every route the owner's role allows) or ScopeCodec (the codec
	// endpoints only).
	Scope      string
	CreatedAt  time.Time
	ExpiresAt  *time.Time // nil: never
	LastUsedAt *time.Time // to the minute; nil: never used
}

// API key scopes.
const (
	ScopeAPI   = "api"
	ScopeCodec = "codec"
)

// Credential is what an API key authenticates: its owner and the key.
type Credential struct {
	User User
	Key  APIKey
}

// keyTouchInterval is how stale an API key's last use may get: Credential writes it
// when it is older.
const keyTouchInterval = time.Minute

const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// pageSize clamps a caller's limit: <= 0 means defaultPageSize, and at most maxPageSize.
func pageSize(limit int) int {
	switch {
	case limit <= 0:
		return defaultPageSize
	case limit > maxPageSize:
		return maxPageSize
	}
	return limit
}

// CreateUser inserts u; ErrConflict if the id exists.
func (db *DB) CreateUser(ctx context.Context, u User) (User, error) {
	row, err := db.q.CreateUser(ctx, db.pool, dbsqlc.CreateUserParams(userParams(u)))
	if err != nil {
		return User{}, fmt.Errorf("create user %s: %w", u.ID, interpretError(err))
	}
	return userFromRow(row), nil
}

// UpsertUser inserts u or replaces every field but CreatedAt.
func (db *DB) UpsertUser(ctx context.Context, u User) (User, error) {
	row, err := db.q.UpsertUser(ctx, db.pool, userParams(u))
	if err != nil {
		return User{}, fmt.Errorf("upsert user %s: %w", u.ID, interpretError(err))
	}
	return userFromRow(row), nil
}

// UpdateUser changes the fields of the user with id that c gives. ErrNotFound if
// there is none.
func (db *DB) UpdateUser(ctx context.Context, id string, c UserChange) (User, error) {
	p := dbsqlc.UpdateUserParams{ID: id, Name: text(c.Name), Email: text(c.Email), Role: text(c.Role), Manager: text(c.Manager)}
	if c.Groups != nil {
		p.Groups = nonNil(*c.Groups)
	}
	row, err := db.q.UpdateUser(ctx, db.pool, p)
	if err != nil {
		return User{}, fmt.Errorf("update user %s: %w", id, interpretError(err))
	}
	return userFromRow(row), nil
}

// DeactivateUser deactivates the user with id (keeping the first time if they already
// are) and ends their web sessions. ErrNotFound if there is none.
func (db *DB) DeactivateUser(ctx context.Context, id string) (User, error) {
	row, err := db.q.DeactivateUser(ctx, db.pool, id)
	if err != nil {
		return User{}, fmt.Errorf("deactivate user %s: %w", id, interpretError(err))
	}
	return userFromRow(row), nil
}

// ReactivateUser makes a deactivated user active again: their API keys work again
// (unless revoked or expired); they sign in afresh. ErrNotFound if there is none.
func (db *DB) ReactivateUser(ctx context.Context, id string) (User, error) {
	row, err := db.q.ReactivateUser(ctx, db.pool, id)
	if err != nil {
		return User{}, fmt.Errorf("reactivate user %s: %w", id, interpretError(err))
	}
	return userFromRow(row), nil
}

func text(s *string) pgtype.Text {
	if s == nil {
		return pgtype.Text{}
	}
	return pgtype.Text{String: *s, Valid: true}
}

// User returns the user with id.
func (db *DB) User(ctx context.Context, id string) (User, error) {
	row, err := db.q.User(ctx, db.pool, id)
	if err != nil {
		return User{}, fmt.Errorf("load user %s: %w", id, interpretError(err))
	}
	return userFromRow(row), nil
}

// ListUsers returns up to limit users with id > after, ordered by id; pass the
// last id of a page as after to get the next. limit <= 0 means 100 (max 1000).
func (db *DB) ListUsers(ctx context.Context, after string, limit int) ([]User, error) {
	rows, err := db.q.ListUsers(ctx, db.pool, dbsqlc.ListUsersParams{After: after, Lim: int32(pageSize(limit))})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", interpretError(err))
	}
	out := make([]User, 0, len(rows))
	for _, r := range rows {
		out = append(out, userFromRow(r))
	}
	return out, nil
}

// GroupMembers returns the ids of the users in group, ordered by id.
func (db *DB) GroupMembers(ctx context.Context, group string) ([]string, error) {
	ids, err := db.q.GroupMembers(ctx, db.pool, group)
	if err != nil {
		return nil, fmt.Errorf("list members of group %s: %w", group, interpretError(err))
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}

// CreateAPIKey stores the hex SHA-256 hash of a new full-scope key for userID that
// never expires. ErrNotFound if the user does not exist; ErrConflict if the hash exists.
func (db *DB) CreateAPIKey(ctx context.Context, userID, prefix, hash string) (APIKey, error) {
	return db.IssueAPIKey(ctx, APIKey{UserID: userID, Prefix: prefix}, hash)
}

// IssueAPIKey stores the hash of a new key with k's user, prefix, scope (default
// ScopeAPI) and expiry.
func (db *DB) IssueAPIKey(ctx context.Context, k APIKey, hash string) (APIKey, error) {
	if k.Scope == "" {
		k.Scope = ScopeAPI
	}
	row, err := db.q.CreateAPIKey(ctx, db.pool, dbsqlc.CreateAPIKeyParams{UserID: k.UserID, Prefix: k.Prefix,
		Hash: hash, Scope: k.Scope, ExpiresAt: k.ExpiresAt})
	if err != nil {
		return APIKey{}, fmt.Errorf("create api key for user %s: %w", k.UserID, interpretError(err))
	}
	return APIKey(row), nil
}

// Credential returns the key whose hex SHA-256 is hash and its owner, and records the
// use (at most once a minute per key). ErrNotFound for an unknown or expired key.
func (db *DB) Credential(ctx context.Context, hash string) (Credential, error) {
	r, err := db.q.CredentialByHash(ctx, db.pool, hash)
	if err != nil {
		return Credential{}, fmt.Errorf("load api key: %w", interpretError(err))
	}
	c := Credential{
		User: User{ID: r.ID, Name: r.Name, Email: r.Email, Role: r.Role, Groups: nonNil(r.Groups),
			Manager: r.Manager, CreatedAt: r.CreatedAt},
		Key: APIKey{ID: r.KeyID, UserID: r.ID, Prefix: r.Prefix, Scope: r.Scope, CreatedAt: r.KeyCreatedAt,
			ExpiresAt: r.ExpiresAt, LastUsedAt: r.LastUsedAt},
	}
	if r.LastUsedAt == nil || time.Since(*r.LastUsedAt) >= keyTouchInterval {
		if err := db.q.TouchAPIKey(ctx, db.pool, r.KeyID); err != nil {
			return Credential{}, fmt.Errorf("record use of api key %s: %w", r.KeyID, interpretError(err))
		}
		now := time.Now()
		c.Key.LastUsedAt = &now
	}
	return c, nil
}

// UserByAPIKeyHash returns the owner of the full-scope, unexpired key whose hex
// SHA-256 is hash.
func (db *DB) UserByAPIKeyHash(ctx context.Context, hash string) (User, error) {
	c, err := db.Credential(ctx, hash)
	if err == nil && c.Key.Scope != ScopeAPI {
		err = fmt.Errorf("load user by api key: a %s key: %w", c.Key.Scope, ErrNotFound)
	}
	return c.User, err
}

// ListAPIKeys returns up to limit keys (of userID, or of everyone when it is "") with
// id > after, ordered by id. limit <= 0 means 100 (max 1000).
func (db *DB) ListAPIKeys(ctx context.Context, userID, after string, limit int) ([]APIKey, error) {
	rows, err := db.q.ListAPIKeys(ctx, db.pool, dbsqlc.ListAPIKeysParams{UserID: userID, After: after, Lim: int32(pageSize(limit))})
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", interpretError(err))
	}
	out := make([]APIKey, 0, len(rows))
	for _, r := range rows {
		out = append(out, APIKey(r))
	}
	return out, nil
}

// RevokeAPIKey deletes the key with id: it authenticates nothing from then on.
// ErrNotFound if there is none.
func (db *DB) RevokeAPIKey(ctx context.Context, id string) error {
	n, err := db.q.DeleteAPIKey(ctx, db.pool, id)
	if err != nil {
		return fmt.Errorf("revoke api key %s: %w", id, interpretError(err))
	}
	if n == 0 {
		return fmt.Errorf("revoke api key %s: %w", id, ErrNotFound)
	}
	return nil
}

// RevokeAPIKeyHash deletes the key of one scope whose hex SHA-256 is hash, and every
// expired key of that scope; no error when there is none.
func (db *DB) RevokeAPIKeyHash(ctx context.Context, hash, scope string) error {
	if _, err := db.q.DeleteAPIKeyByHash(ctx, db.pool, dbsqlc.DeleteAPIKeyByHashParams{Hash: hash, Scope: scope}); err != nil {
		return fmt.Errorf("revoke %s key: %w", scope, interpretError(err))
	}
	if _, err := db.q.DeleteExpiredAPIKeys(ctx, db.pool, scope); err != nil {
		return fmt.Errorf("forget expired %s keys: %w", scope, interpretError(err))
	}
	return nil
}

func userParams(u User) dbsqlc.UpsertUserParams {
	role := u.Role
	if role == "" {
		role = "member"
	}
	return dbsqlc.UpsertUserParams{
		ID:      u.ID,
		Name:    u.Name,
		Email:   u.Email,
		Role:    role,
		Groups:  nonNil(u.Groups),
		Manager: u.Manager,
	}
}

func userFromRow(r dbsqlc.User) User {
	return User{
		ID:            r.ID,
		Name:          r.Name,
		Email:         r.Email,
		Role:          r.Role,
		Groups:        nonNil(r.Groups),
		Manager:       r.Manager,
		CreatedAt:     r.CreatedAt,
		DeactivatedAt: r.DeactivatedAt,
	}
}

// nonNil turns a nil slice into an empty one: pgx encodes nil as NULL.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Person is a directory user as a picker shows them: id and name.
type Person struct {
	ID, Name string
}

// FindPeople returns up to limit people whose id or a word of whose name starts with
// prefix (case ignored), by name. LIKE's wildcards in prefix match themselves.
func (db *DB) FindPeople(ctx context.Context, prefix string, limit int) ([]Person, error) {
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(prefix)
	rows, err := db.q.FindPeople(ctx, db.pool, dbsqlc.FindPeopleParams{Prefix: esc, Lim: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("find people: %w", interpretError(err))
	}
	out := make([]Person, 0, len(rows))
	for _, r := range rows {
		out = append(out, Person{ID: r.ID, Name: r.Name})
	}
	return out, nil
}
