package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

var (
	// ErrNotFound is returned when a row (or a row it references) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned when a write collides with an existing row.
	ErrConflict = errors.New("conflict")
)

// DB is the store. It is safe for concurrent use.
type DB struct {
	pool *pgxpool.Pool
	q    *dbsqlc.Queries
}

// Open connects a pool to url (a postgres:// URL or key=value DSN) and pings it.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	db := &DB{pool: pool, q: dbsqlc.New()}
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the pool, waiting for acquired connections to be released.
func (db *DB) Close() { db.pool.Close() }

// Ping checks that the database is reachable.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// customPlans runs every query through an unnamed statement, so that Postgres plans it
// for the arguments of each call. The list queries are catch-all statements whose empty
// filters Postgres folds away only in such a custom plan; a cached generic plan would
// keep every OR branch and fall back to scanning the whole inbox. Every other statement
// keeps its prepared statement and cached plan: planning the projection writes and the
// key and task lookups on every call cost about a millisecond per task completion
// (session-wide plan_cache_mode = force_custom_plan, as before).
type customPlans struct{ dbsqlc.DBTX }

// customPlan is QueryExecModeCacheDescribe: one round trip once the statement's
// parameter and result types are known, and a fresh plan every time.
var customPlan any = pgx.QueryExecModeCacheDescribe

func (c customPlans) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return c.DBTX.Exec(ctx, sql, append([]any{customPlan}, args...)...)
}

func (c customPlans) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return c.DBTX.Query(ctx, sql, append([]any{customPlan}, args...)...)
}

func (c customPlans) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return c.DBTX.QueryRow(ctx, sql, append([]any{customPlan}, args...)...)
}

// Pool returns the underlying pool.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// inTx runs fn in a transaction, committing if fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, fn)
}

// interpretError is the one place database errors become package sentinels.
// The original error stays wrapped for logs.
func interpretError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w: %w", ErrConflict, err)
		case "23503": // foreign_key_violation: the referenced row is missing
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		}
	}
	return err
}
