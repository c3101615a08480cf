package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

// Outbox delivery kinds.
const (
	OutboxEmail   = "email"
	OutboxWebhook = "webhook"
)

// OutboxItem is one queued delivery: an email or a webhook call. The dispatcher
// delivers it at least once; its ID is the webhook-id and the email Message-ID.
type OutboxItem struct {
	ID            string
	Kind          string // OutboxEmail | OutboxWebhook
	Payload       json.RawMessage
	DedupeKey     string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	DeliveredAt   *time.Time
	DeadAt        *time.Time // set when the dispatcher gave up
	CreatedAt     time.Time
	// RunID, SyncSeq and SyncWrite name the ordered inbox write that queued it (SyncWrite
	// "" when none did); Sequence numbers a run's events.
	RunID     string
	SyncSeq   int64
	SyncWrite string
	Sequence  int64
}

// NewOutboxItem is a delivery to queue. DedupeKey identifies it: queueing the same
// key again (a retried activity) does nothing.
type NewOutboxItem struct {
	Kind      string
	Payload   json.RawMessage
	DedupeKey string
}

// Recipient is a user a principal named, with their email address ("" when they have none).
type Recipient struct {
	Kind      string // "user" | "group" | "manager_of"
	Principal string // the user id, group name or managed user's id asked for
	UserID    string
	Email     string
}

// Principal kinds for Recipients: a user, the members of a group, the manager of a user.
const (
	PrincipalUser      = "user"
	PrincipalGroup     = "group"
	PrincipalManagerOf = "manager_of"
)

// Enqueue queues deliveries, skipping dedupe keys already queued, and returns how
// many it queued.
func (db *DB) Enqueue(ctx context.Context, items []NewOutboxItem) (int, error) {
	p := dbsqlc.EnqueueOutboxParams{
		Kinds:      make([]string, 0, len(items)),
		Payloads:   make([]string, 0, len(items)),
		DedupeKeys: make([]string, 0, len(items)),
	}
	for _, it := range items {
		p.Kinds = append(p.Kinds, it.Kind)
		p.Payloads = append(p.Payloads, string(it.Payload))
		p.DedupeKeys = append(p.DedupeKeys, it.DedupeKey)
	}
	n, err := db.q.EnqueueOutbox(ctx, db.pool, p)
	if err != nil {
		return 0, fmt.Errorf("enqueue %d deliveries: %w", len(items), interpretError(err))
	}
	return int(n), nil
}

// Recipients resolves principals (parallel slices of kinds and names) to users and
// their email addresses. A principal that names nobody yields no row.
func (db *DB) Recipients(ctx context.Context, kinds, principals []string) ([]Recipient, error) {
	rows, err := db.q.Recipients(ctx, db.pool, dbsqlc.RecipientsParams{Kinds: nonNil(kinds), Principals: nonNil(principals)})
	if err != nil {
		return nil, fmt.Errorf("resolve recipients: %w", interpretError(err))
	}
	out := make([]Recipient, 0, len(rows))
	for _, r := range rows {
		out = append(out, Recipient(r))
	}
	return out, nil
}

// ClaimOutbox takes up to limit deliveries that are due, counting an attempt on each
// and leasing them for lease: until then no other dispatcher takes them, and after it
// (the dispatcher died) they are due again.
func (db *DB) ClaimOutbox(ctx context.Context, limit int, lease time.Duration) ([]OutboxItem, error) {
	rows, err := db.q.ClaimOutbox(ctx, db.pool, dbsqlc.ClaimOutboxParams{LeaseSeconds: lease.Seconds(), Lim: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", interpretError(err))
	}
	return outboxItems(rows), nil
}

// OutboxHold gives a claimed delivery back, due again after retryIn, without counting
// the attempt.
func (db *DB) OutboxHold(ctx context.Context, id string, retryIn time.Duration) error {
	if err := db.q.OutboxHold(ctx, db.pool, dbsqlc.OutboxHoldParams{ID: id, RetryInSeconds: retryIn.Seconds()}); err != nil {
		return fmt.Errorf("hold delivery %s: %w", id, interpretError(err))
	}
	return nil
}

// DeleteDelivery deletes a delivery that was not sent.
func (db *DB) DeleteDelivery(ctx context.Context, id string) error {
	if err := db.q.DeleteDelivery(ctx, db.pool, id); err != nil {
		return fmt.Errorf("delete delivery %s: %w", id, interpretError(err))
	}
	return nil
}

// OutboxDelivered marks a delivery done.
func (db *DB) OutboxDelivered(ctx context.Context, id string) error {
	if err := db.q.OutboxDelivered(ctx, db.pool, id); err != nil {
		return fmt.Errorf("mark delivery %s delivered: %w", id, interpretError(err))
	}
	return nil
}

// OutboxFailed records a failed attempt: due again after retryIn, or dead (never
// retried) when dead is set. lastError says what went wrong.
func (db *DB) OutboxFailed(ctx context.Context, id, lastError string, retryIn time.Duration, dead bool) error {
	err := db.q.OutboxFailed(ctx, db.pool, dbsqlc.OutboxFailedParams{
		ID: id, LastError: lastError, RetryInSeconds: retryIn.Seconds(), Dead: dead,
	})
	if err != nil {
		return fmt.Errorf("record failed delivery %s: %w", id, interpretError(err))
	}
	return nil
}

// OutboxItem returns the delivery with id.
func (db *DB) OutboxItem(ctx context.Context, id string) (OutboxItem, error) {
	row, err := db.q.OutboxItem(ctx, db.pool, id)
	if err != nil {
		return OutboxItem{}, fmt.Errorf("load delivery %s: %w", id, interpretError(err))
	}
	return outboxItem(row), nil
}

// OutboxFilter selects deliveries for ListOutbox. Empty fields do not filter.
type OutboxFilter struct {
	Kind      string
	KeyPrefix string // dedupe keys starting with this
	Limit     int    // <= 0 means 100; at most 1000
}

// ListOutbox returns deliveries oldest first.
func (db *DB) ListOutbox(ctx context.Context, f OutboxFilter) ([]OutboxItem, error) {
	rows, err := db.q.ListOutbox(ctx, customPlans{db.pool}, dbsqlc.ListOutboxParams{
		Kind: f.Kind, KeyPrefix: f.KeyPrefix, Lim: int32(pageSize(f.Limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", interpretError(err))
	}
	return outboxItems(rows), nil
}

func outboxItems(rows []dbsqlc.Outbox) []OutboxItem {
	out := make([]OutboxItem, 0, len(rows))
	for _, r := range rows {
		out = append(out, outboxItem(r))
	}
	return out
}

func outboxItem(r dbsqlc.Outbox) OutboxItem {
	return OutboxItem{
		ID: r.ID, Kind: r.Kind, Payload: r.Payload, DedupeKey: r.DedupeKey, Attempts: int(r.Attempts),
		NextAttemptAt: r.NextAttemptAt, LastError: r.LastError, DeliveredAt: r.DeliveredAt,
		DeadAt: r.DeadAt, CreatedAt: r.CreatedAt, RunID: r.RunID, SyncSeq: r.SyncSeq, SyncWrite: r.SyncWrite,
		Sequence: r.Sequence,
	}
}
