package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

// MaxWebhookSecrets is how many secrets one trigger may have at once: the current one
// and, during a rotation, the next.
const MaxWebhookSecrets = 2

// ErrTooManySecrets is returned when a trigger already has MaxWebhookSecrets secrets.
var ErrTooManySecrets = errors.New("the trigger already has two secrets")

// WebhookSecret is one signing secret of a trigger, as ciphertext: the store never sees
// the secret (callers seal it with package secrets).
type WebhookSecret struct {
	ID, Definition, Trigger string
	Ciphertext              []byte
	CreatedBy               string
	CreatedAt               time.Time
}

// WebhookDelivery is a webhook delivery whose run was started.
type WebhookDelivery struct {
	Definition, Trigger, WebhookID, RunID string
	ReceivedAt                            time.Time
}

// AddWebhookSecret stores a secret for its trigger unless the trigger already has
// MaxWebhookSecrets (ErrTooManySecrets). Concurrent calls for one trigger are serialised.
func (db *DB) AddWebhookSecret(ctx context.Context, s WebhookSecret) (WebhookSecret, error) {
	var out WebhookSecret
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if err := db.q.WebhookSecretLock(ctx, tx, dbsqlc.WebhookSecretLockParams{Definition: s.Definition, Trigger: s.Trigger}); err != nil {
			return err
		}
		n, err := db.q.CountWebhookSecrets(ctx, tx, dbsqlc.CountWebhookSecretsParams{Definition: s.Definition, Trigger: s.Trigger})
		if err != nil {
			return err
		}
		if n >= MaxWebhookSecrets {
			return ErrTooManySecrets
		}
		row, err := db.q.InsertWebhookSecret(ctx, tx, dbsqlc.InsertWebhookSecretParams{
			ID: s.ID, Definition: s.Definition, Trigger: s.Trigger, Ciphertext: s.Ciphertext, CreatedBy: s.CreatedBy})
		out = webhookSecretFromRow(row)
		return err
	})
	if err != nil {
		return WebhookSecret{}, fmt.Errorf("add secret to %s/%s: %w", s.Definition, s.Trigger, interpretError(err))
	}
	return out, nil
}

// WebhookSecrets returns a trigger's secrets, oldest first.
func (db *DB) WebhookSecrets(ctx context.Context, definition, trigger string) ([]WebhookSecret, error) {
	rows, err := db.q.WebhookSecrets(ctx, db.pool, dbsqlc.WebhookSecretsParams{Definition: definition, Trigger: trigger})
	if err != nil {
		return nil, fmt.Errorf("load secrets of %s/%s: %w", definition, trigger, interpretError(err))
	}
	out := make([]WebhookSecret, 0, len(rows))
	for _, r := range rows {
		out = append(out, webhookSecretFromRow(r))
	}
	return out, nil
}

// DeleteWebhookSecret removes one secret of a trigger; ErrNotFound if it has no such secret.
func (db *DB) DeleteWebhookSecret(ctx context.Context, definition, trigger, id string) error {
	n, err := db.q.DeleteWebhookSecret(ctx, db.pool, dbsqlc.DeleteWebhookSecretParams{Definition: definition, Trigger: trigger, ID: id})
	if err != nil {
		return fmt.Errorf("delete secret %s of %s/%s: %w", id, definition, trigger, interpretError(err))
	}
	if n == 0 {
		return fmt.Errorf("delete secret %s of %s/%s: %w", id, definition, trigger, ErrNotFound)
	}
	return nil
}

func webhookSecretFromRow(r dbsqlc.WebhookSecret) WebhookSecret {
	return WebhookSecret{ID: r.ID, Definition: r.Definition, Trigger: r.Trigger, Ciphertext: r.Ciphertext,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
}

// StartDelivery starts the run of a webhook delivery exactly once. In one transaction it
// records d and, when d is new, calls start; an error from start rolls the record back, so
// a retried delivery starts the run again. When the delivery was recorded before it
// returns that record and duplicate=true without calling start. Concurrent calls for one
// delivery wait for the first to commit or roll back.
func (db *DB) StartDelivery(ctx context.Context, d WebhookDelivery, start func(context.Context) error) (rec WebhookDelivery, duplicate bool, err error) {
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		n, err := db.q.InsertWebhookDelivery(ctx, tx, dbsqlc.InsertWebhookDeliveryParams{
			Definition: d.Definition, Trigger: d.Trigger, WebhookID: d.WebhookID, RunID: d.RunID})
		if err != nil {
			return err
		}
		if n == 0 {
			row, err := db.q.WebhookDelivery(ctx, tx, dbsqlc.WebhookDeliveryParams{Definition: d.Definition, WebhookID: d.WebhookID})
			rec, duplicate = webhookDeliveryFromRow(row), true
			return err
		}
		rec = d
		return start(ctx)
	})
	if err != nil {
		return WebhookDelivery{}, false, fmt.Errorf("start delivery %s of %s: %w", d.WebhookID, d.Definition, interpretError(err))
	}
	return rec, duplicate, nil
}

// CountWebhookDeliveries returns how many deliveries of definition started a run.
func (db *DB) CountWebhookDeliveries(ctx context.Context, definition string) (int, error) {
	n, err := db.q.CountWebhookDeliveries(ctx, db.pool, definition)
	if err != nil {
		return 0, fmt.Errorf("count deliveries of %s: %w", definition, interpretError(err))
	}
	return int(n), nil
}

func webhookDeliveryFromRow(r dbsqlc.WebhookDelivery) WebhookDelivery {
	return WebhookDelivery{Definition: r.Definition, Trigger: r.Trigger, WebhookID: r.WebhookID,
		RunID: r.RunID, ReceivedAt: r.ReceivedAt}
}

// WebhookDelivery returns the recorded delivery webhookID of definition; ErrNotFound if
// no run was started for it.
func (db *DB) WebhookDelivery(ctx context.Context, definition, webhookID string) (WebhookDelivery, error) {
	row, err := db.q.WebhookDelivery(ctx, db.pool, dbsqlc.WebhookDeliveryParams{Definition: definition, WebhookID: webhookID})
	if err != nil {
		return WebhookDelivery{}, fmt.Errorf("load delivery %s of %s: %w", webhookID, definition, interpretError(err))
	}
	return webhookDeliveryFromRow(row), nil
}
