package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

// ListenOutbox calls notify whenever deliveries are queued (the outbox_notify trigger of
// migration 002), and once when it starts listening (to cover anything queued before),
// until ctx is done or the connection fails; it returns why it stopped.
func (db *DB) ListenOutbox(ctx context.Context, notify func()) error {
	return db.listen(ctx, "deliveries", db.q.ListenOutbox, notify, func(*pgconn.Notification) { notify() })
}

// listenQuery is a sqlc LISTEN statement.
type listenQuery func(context.Context, dbsqlc.DBTX) error

// listen runs the LISTEN statement on a connection of its own, outside the pool (a
// LISTEN lives as long as its session), calls ready once it has run and then got for
// every notification, until ctx is done or the connection fails; it returns why it
// stopped. what names the notifications in errors.
func (db *DB) listen(ctx context.Context, what string, statement listenQuery, ready func(), got func(*pgconn.Notification)) error {
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect to listen for %s: %w", what, err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if err := statement(ctx, conn); err != nil {
		return fmt.Errorf("listen for %s: %w", what, err)
	}
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait for %s: %w", what, err)
		}
		got(n)
	}
}
