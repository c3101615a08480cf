package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

// Subscription sends run and task events to a URL, signed per Standard Webhooks.
type Subscription struct {
	ID     string
	URL    string
	Events []string
	// SealedSecret is the signing secret as the caller sealed it; the store never
	// sees it in the clear.
	SealedSecret []byte
	Description  string
	CreatedBy    string
	CreatedAt    time.Time
	Disabled     bool
}

// CreateSubscription inserts s (its ID chosen by the caller, who sealed the secret
// for it); ErrConflict if the id exists.
func (db *DB) CreateSubscription(ctx context.Context, s Subscription) (Subscription, error) {
	row, err := db.q.CreateSubscription(ctx, db.pool, dbsqlc.CreateSubscriptionParams{
		ID: s.ID, Url: s.URL, Events: nonNil(s.Events), Secret: s.SealedSecret,
		Description: s.Description, CreatedBy: s.CreatedBy,
	})
	if err != nil {
		return Subscription{}, fmt.Errorf("create subscription %s: %w", s.ID, interpretError(err))
	}
	return subscriptionFromRow(row), nil
}

// Subscription returns the subscription with id.
func (db *DB) Subscription(ctx context.Context, id string) (Subscription, error) {
	row, err := db.q.Subscription(ctx, db.pool, id)
	if err != nil {
		return Subscription{}, fmt.Errorf("load subscription %s: %w", id, interpretError(err))
	}
	return subscriptionFromRow(row), nil
}

// ListSubscriptions returns up to limit subscriptions with id > after, ordered by id.
// limit <= 0 means 100 (max 1000).
func (db *DB) ListSubscriptions(ctx context.Context, after string, limit int) ([]Subscription, error) {
	rows, err := db.q.ListSubscriptions(ctx, db.pool, dbsqlc.ListSubscriptionsParams{After: after, Lim: int32(pageSize(limit))})
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", interpretError(err))
	}
	out := make([]Subscription, 0, len(rows))
	for _, r := range rows {
		out = append(out, subscriptionFromRow(r))
	}
	return out, nil
}

// DeleteSubscription removes the subscription id; ErrNotFound if there is none.
// Deliveries already queued for it are dropped by the dispatcher.
func (db *DB) DeleteSubscription(ctx context.Context, id string) error {
	n, err := db.q.DeleteSubscription(ctx, db.pool, id)
	if err != nil {
		return fmt.Errorf("delete subscription %s: %w", id, interpretError(err))
	}
	if n == 0 {
		return fmt.Errorf("delete subscription %s: %w", id, ErrNotFound)
	}
	return nil
}

func subscriptionFromRow(r dbsqlc.Subscription) Subscription {
	return Subscription{
		ID: r.ID, URL: r.Url, Events: nonNil(r.Events), SealedSecret: r.Secret,
		Description: r.Description, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, Disabled: r.Disabled,
	}
}
