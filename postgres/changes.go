package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Change is one notification of the change feed (migration 007): what may have made a
// cached read stale, or a marker sent by SyncChanges.
type Change struct {
	// Inboxes are the principals ('u:<user>', 'g:<group>') whose inbox changed.
	Inboxes []string
	// AllInboxes says that any inbox may have changed.
	AllInboxes bool
	// Directory says that users or API keys changed.
	Directory bool
	// Sync is the token of a SyncChanges marker.
	Sync string
}

// ListenChanges calls ready once it listens to the change feed and then changed for
// every notification, in commit order, until ctx is done or the connection fails; it
// returns why it stopped. Changes committed before ready was called are not reported.
// It holds a connection of its own, outside the pool.
func (db *DB) ListenChanges(ctx context.Context, ready func(), changed func(Change)) error {
	return db.listen(ctx, "changes", []listenQuery{db.q.ListenInbox, db.q.ListenDirectory, db.q.ListenCacheSync}, ready,
		func(n *pgconn.Notification) { changed(changeOf(n.Channel, n.Payload)) })
}

// changeOf reads one notification of the change feed.
func changeOf(channel, payload string) Change {
	switch channel {
	case "handoff_inbox":
		if payload == "*" {
			return Change{AllInboxes: true}
		}
		return Change{Inboxes: strings.Split(payload, "\n")}
	case "handoff_directory":
		return Change{Directory: true}
	default: // handoff_cache_sync
		return Change{Sync: payload}
	}
}

// SyncChanges sends token through the change feed: a listener that receives it has
// received every change committed before SyncChanges was called.
func (db *DB) SyncChanges(ctx context.Context, token string) error {
	if err := db.q.NotifyCacheSync(ctx, db.pool, token); err != nil {
		return fmt.Errorf("sync changes: %w", interpretError(err))
	}
	return nil
}
