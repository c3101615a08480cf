package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

// SecretInfo describes a stored secret: its name and when it was written, never its value.
type SecretInfo struct {
	Name                 string
	CreatedAt, UpdatedAt time.Time
}

// PutSecret stores the ciphertext of the secret name, replacing any previous value. The
// store never sees plaintext: callers encrypt (package secrets).
func (db *DB) PutSecret(ctx context.Context, name string, ciphertext []byte) error {
	if err := db.q.PutSecret(ctx, db.pool, dbsqlc.PutSecretParams{Name: name, Ciphertext: ciphertext}); err != nil {
		return fmt.Errorf("store secret %s: %w", name, interpretError(err))
	}
	return nil
}

// Secret returns the ciphertext of the secret name; ErrNotFound if there is none.
func (db *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	b, err := db.q.Secret(ctx, db.pool, name)
	if err != nil {
		return nil, fmt.Errorf("load secret %s: %w", name, interpretError(err))
	}
	return b, nil
}

// ListSecretNames returns every stored secret's name and timestamps, ordered by name.
func (db *DB) ListSecretNames(ctx context.Context) ([]SecretInfo, error) {
	rows, err := db.q.ListSecrets(ctx, db.pool)
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", interpretError(err))
	}
	out := make([]SecretInfo, 0, len(rows))
	for _, r := range rows {
		out = append(out, SecretInfo{Name: r.Name, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
	}
	return out, nil
}

// DeleteSecret removes the secret name; ErrNotFound if there is none.
func (db *DB) DeleteSecret(ctx context.Context, name string) error {
	n, err := db.q.DeleteSecret(ctx, db.pool, name)
	if err != nil {
		return fmt.Errorf("delete secret %s: %w", name, interpretError(err))
	}
	if n == 0 {
		return fmt.Errorf("delete secret %s: %w", name, ErrNotFound)
	}
	return nil
}
