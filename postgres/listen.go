package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ListenOutbox calls notify whenever deliveries are queued (the outbox_notify trigger of
// migration 002), and once when it starts listening (to cover anything queued before),
// until ctx is done or the connection fails; it returns why it stopped. It holds a
// connection of its own, outside the pool, since a LISTEN lives as long as its session.
func (db *DB) ListenOutbox(ctx context.Context, notify func()) error {
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect to listen for deliveries: %w", err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if err := db.q.ListenOutbox(ctx, conn); err != nil {
		return fmt.Errorf("listen for deliveries: %w", err)
	}
	notify()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return fmt.Errorf("wait for deliveries: %w", err)
		}
		notify()
	}
}
