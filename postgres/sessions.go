package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

// The browser app's sessions and sign-ins (migration 010). Every id, state and token is
// stored as the hash the caller gives: the random value itself stays in the browser.

// SignIn is an OpenID Connect sign-in in progress.
type SignIn struct {
	Nonce, Verifier string
	// Next is the path the browser returns to once signed in.
	Next string
}

// CreateSession stores a session of userID that expires at expires.
func (db *DB) CreateSession(ctx context.Context, idHash, userID string, expires time.Time) error {
	err := db.q.CreateWebSession(ctx, db.pool, dbsqlc.CreateWebSessionParams{IDHash: idHash, UserID: userID, ExpiresAt: expires})
	if err != nil {
		return fmt.Errorf("create session of %s: %w", userID, interpretError(err))
	}
	return nil
}

// SessionUser is the user of a session that has not expired; ErrNotFound otherwise.
func (db *DB) SessionUser(ctx context.Context, idHash string) (User, error) {
	row, err := db.q.WebSessionUser(ctx, db.pool, idHash)
	if err != nil {
		return User{}, fmt.Errorf("load session: %w", interpretError(err))
	}
	return userFromRow(row), nil
}

// DeleteSession ends a session (signing out). Ending one that does not exist is no error.
func (db *DB) DeleteSession(ctx context.Context, idHash string) error {
	if err := db.q.DeleteWebSession(ctx, db.pool, idHash); err != nil {
		return fmt.Errorf("delete session: %w", interpretError(err))
	}
	return nil
}

// DeleteExpiredSessions deletes expired sessions, sign-ins and sign-in links and says
// how many.
func (db *DB) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	n, err := db.q.DeleteExpiredWebSessions(ctx, db.pool)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", interpretError(err))
	}
	return n, nil
}

// CreateSignIn stores a sign-in in progress under the hash of its state.
func (db *DB) CreateSignIn(ctx context.Context, stateHash string, s SignIn, expires time.Time) error {
	err := db.q.CreateWebSignIn(ctx, db.pool, dbsqlc.CreateWebSignInParams{StateHash: stateHash, Nonce: s.Nonce,
		Verifier: s.Verifier, NextPath: s.Next, ExpiresAt: expires})
	if err != nil {
		return fmt.Errorf("create sign-in: %w", interpretError(err))
	}
	return nil
}

// TakeSignIn returns the sign-in in progress of a state and deletes it: a state is good
// once. ErrNotFound when there is none or it expired.
func (db *DB) TakeSignIn(ctx context.Context, stateHash string) (SignIn, error) {
	row, err := db.q.TakeWebSignIn(ctx, db.pool, stateHash)
	if err != nil {
		return SignIn{}, fmt.Errorf("take sign-in: %w", interpretError(err))
	}
	return SignIn{Nonce: row.Nonce, Verifier: row.Verifier, Next: row.NextPath}, nil
}

// CreateSignInLink stores a one-time sign-in link for userID.
func (db *DB) CreateSignInLink(ctx context.Context, tokenHash, userID string, expires time.Time) error {
	err := db.q.CreateWebSignInLink(ctx, db.pool, dbsqlc.CreateWebSignInLinkParams{TokenHash: tokenHash, UserID: userID, ExpiresAt: expires})
	if err != nil {
		return fmt.Errorf("create sign-in link for %s: %w", userID, interpretError(err))
	}
	return nil
}

// SignInLinkUser is the user a link that is still good signs in, without using it up.
func (db *DB) SignInLinkUser(ctx context.Context, tokenHash string) (User, error) {
	row, err := db.q.WebSignInLinkUser(ctx, db.pool, tokenHash)
	if err != nil {
		return User{}, fmt.Errorf("load sign-in link: %w", interpretError(err))
	}
	return userFromRow(row), nil
}

// TakeSignInLink uses a link up and returns the id of the user it signs in;
// ErrNotFound when it was used, expired or never existed.
func (db *DB) TakeSignInLink(ctx context.Context, tokenHash string) (string, error) {
	id, err := db.q.TakeWebSignInLink(ctx, db.pool, tokenHash)
	if err != nil {
		return "", fmt.Errorf("take sign-in link: %w", interpretError(err))
	}
	return id, nil
}

// UserByEmail is the one directory user with this email (case ignored); ErrNotFound
// when there is none, ErrConflict when several share it.
func (db *DB) UserByEmail(ctx context.Context, email string) (User, error) {
	rows, err := db.q.UsersByEmail(ctx, db.pool, email)
	if err != nil {
		return User{}, fmt.Errorf("load user by email: %w", interpretError(err))
	}
	switch len(rows) {
	case 0:
		return User{}, fmt.Errorf("load user by email %q: %w", email, ErrNotFound)
	case 1:
		return userFromRow(rows[0]), nil
	}
	return User{}, fmt.Errorf("load user by email %q: several users have it: %w", email, ErrConflict)
}

// ListenInboxChanges calls ready once it listens and then changed with the principals
// ('u:<user>', 'g:<group>') whose open tasks changed, or all=true when any may have, for
// every commit that changed tasks (migration 010's handoff_web_inbox), until ctx is done
// or the connection fails; it returns why it stopped. It holds a connection of its own.
func (db *DB) ListenInboxChanges(ctx context.Context, ready func(), changed func(principals []string, all bool)) error {
	return db.listen(ctx, "web inbox changes", db.q.ListenWebInbox, ready, func(n *pgconn.Notification) {
		if n.Payload == "*" {
			changed(nil, true)
			return
		}
		changed(strings.Split(n.Payload, "\n"), false)
	})
}

// ApprovalLink is an approve or reject link of an approval email (migration 012).
type ApprovalLink struct {
	TaskID, UserID, Outcome string
	ExpiresAt               time.Time
	UsedAt                  *time.Time
}

// CreateApprovalLink stores a link for userID to decide taskID with outcome until expires.
func (db *DB) CreateApprovalLink(ctx context.Context, tokenHash string, l ApprovalLink) error {
	err := db.q.CreateApprovalLink(ctx, db.pool, dbsqlc.CreateApprovalLinkParams{TokenHash: tokenHash,
		TaskID: l.TaskID, UserID: l.UserID, Outcome: l.Outcome, ExpiresAt: l.ExpiresAt})
	if err != nil {
		return fmt.Errorf("create approval link of task %s: %w", l.TaskID, interpretError(err))
	}
	return nil
}

// ApprovalLink reads a link without using it; ErrNotFound when there is none.
func (db *DB) ApprovalLink(ctx context.Context, tokenHash string) (ApprovalLink, error) {
	r, err := db.q.ApprovalLink(ctx, db.pool, tokenHash)
	if err != nil {
		return ApprovalLink{}, fmt.Errorf("load approval link: %w", interpretError(err))
	}
	return ApprovalLink{TaskID: r.TaskID, UserID: r.UserID, Outcome: r.Outcome, ExpiresAt: r.ExpiresAt, UsedAt: r.UsedAt}, nil
}

// UseApprovalLink uses a link once: ErrNotFound when it is unknown, used or expired.
func (db *DB) UseApprovalLink(ctx context.Context, tokenHash string) (ApprovalLink, error) {
	r, err := db.q.UseApprovalLink(ctx, db.pool, tokenHash)
	if err != nil {
		return ApprovalLink{}, fmt.Errorf("use approval link: %w", interpretError(err))
	}
	return ApprovalLink{TaskID: r.TaskID, UserID: r.UserID, Outcome: r.Outcome, ExpiresAt: r.ExpiresAt, UsedAt: r.UsedAt}, nil
}

// DeleteExpiredApprovalLinks deletes links that expired more than a day ago.
func (db *DB) DeleteExpiredApprovalLinks(ctx context.Context) (int64, error) {
	n, err := db.q.DeleteExpiredApprovalLinks(ctx, db.pool)
	if err != nil {
		return 0, fmt.Errorf("delete expired approval links: %w", interpretError(err))
	}
	return n, nil
}
