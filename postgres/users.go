package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

// User is a directory entry.
type User struct {
	ID, Name, Email string
	Role            string // "admin" | "designer" | "member"; "" is stored as "member"
	Groups          []string
	Manager         string // user id or ""
	CreatedAt       time.Time
}

// APIKey describes a stored API key. Only the SHA-256 (hex) of the key is
// stored, plus a short display prefix.
type APIKey struct {
	ID, UserID, Prefix string
	CreatedAt          time.Time
}

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

// CreateAPIKey stores the hex SHA-256 hash of a new key for userID.
// ErrNotFound if the user does not exist; ErrConflict if the hash exists.
func (db *DB) CreateAPIKey(ctx context.Context, userID, prefix, hash string) (APIKey, error) {
	row, err := db.q.CreateAPIKey(ctx, db.pool, dbsqlc.CreateAPIKeyParams{UserID: userID, Prefix: prefix, Hash: hash})
	if err != nil {
		return APIKey{}, fmt.Errorf("create api key for user %s: %w", userID, interpretError(err))
	}
	return APIKey{ID: row.ID, UserID: row.UserID, Prefix: row.Prefix, CreatedAt: row.CreatedAt}, nil
}

// UserByAPIKeyHash returns the owner of the key whose hex SHA-256 is hash.
func (db *DB) UserByAPIKeyHash(ctx context.Context, hash string) (User, error) {
	row, err := db.q.UserByAPIKeyHash(ctx, db.pool, hash)
	if err != nil {
		return User{}, fmt.Errorf("load user by api key: %w", interpretError(err))
	}
	return userFromRow(row), nil
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
		ID:        r.ID,
		Name:      r.Name,
		Email:     r.Email,
		Role:      r.Role,
		Groups:    nonNil(r.Groups),
		Manager:   r.Manager,
		CreatedAt: r.CreatedAt,
	}
}

// nonNil turns a nil slice into an empty one: pgx encodes nil as NULL.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
