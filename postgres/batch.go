package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// batch is a dbsqlc.DBTX that queues the statements the generated queries run in a
// pgx.Batch instead of running them, so that a write of many statements reaches Postgres
// in one round trip. Only statements without rows (sqlc's :exec and :execrows) can be
// queued. Each one is named with as, for its error, and may have its command tag
// checked.
type batch struct{ pgx.Batch }

var errBatchRows = errors.New("a batched statement cannot return rows")

func (b *batch) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	b.Queue(sql, args...)
	return pgconn.CommandTag{}, nil
}

func (b *batch) Query(context.Context, string, ...any) (pgx.Rows, error) { return nil, errBatchRows }

func (b *batch) QueryRow(context.Context, string, ...any) pgx.Row { return errRow{} }

// as names what the statement queued last does, for its error; check, when not nil,
// receives its command tag, and an error it returns fails the batch.
func (b *batch) as(what string, check func(pgconn.CommandTag) error) {
	b.QueuedQueries[len(b.QueuedQueries)-1].Fn = func(br pgx.BatchResults) error {
		ct, err := br.Exec()
		if err != nil {
			return fmt.Errorf("%s: %w", what, interpretError(err))
		}
		if check != nil {
			return check(ct)
		}
		return nil
	}
}

// send runs the queued statements on tx, in order, and stops at the first error.
func (b *batch) send(ctx context.Context, tx pgx.Tx) error {
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, &b.Batch).Close()
}

type errRow struct{}

func (errRow) Scan(...any) error { return errBatchRows }
