package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// batch is a dbsqlc.DBTX that queues the statements the generated queries run instead
// of running them, so that several writes reach Postgres as one pipelined round trip.
// Only statements without rows (sqlc's :exec and :execrows) can be queued; their
// command tags reach the callbacks given with onResult when the batch is sent.
type batch struct {
	b       pgx.Batch
	what    []string                  // per queued statement: what it does, for errors
	results []func(pgconn.CommandTag) // per queued statement; nil when nobody asks
}

var errBatchRows = errors.New("a batched statement cannot return rows")

func (b *batch) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	b.b.Queue(sql, args...)
	b.what = append(b.what, fmt.Sprintf("statement %d", len(b.what)+1))
	b.results = append(b.results, nil)
	return pgconn.CommandTag{}, nil
}

func (b *batch) Query(context.Context, string, ...any) (pgx.Rows, error) { return nil, errBatchRows }

func (b *batch) QueryRow(context.Context, string, ...any) pgx.Row { return errRow{} }

// as names what the statement queued last does, for its error.
func (b *batch) as(what string) { b.what[len(b.what)-1] = what }

// onResult receives the command tag of the statement queued last.
func (b *batch) onResult(fn func(pgconn.CommandTag)) { b.results[len(b.results)-1] = fn }

// send runs the queued statements on tx, in order, and stops at the first error.
func (b *batch) send(ctx context.Context, tx pgx.Tx) error {
	if b.b.Len() == 0 {
		return nil
	}
	br := tx.SendBatch(ctx, &b.b)
	for i, fn := range b.results {
		ct, err := br.Exec()
		if err != nil {
			_ = br.Close()
			return fmt.Errorf("%s: %w", b.what[i], interpretError(err))
		}
		if fn != nil {
			fn(ct)
		}
	}
	return br.Close()
}

type errRow struct{}

func (errRow) Scan(...any) error { return errBatchRows }
