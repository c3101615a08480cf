package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
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

// sendInTx runs the queued statements in one transaction whose BEGIN travels in the
// same round trip as the statements, then then (on the same connection, inside the
// transaction), then COMMIT: two round trips for a write instead of three. Any error
// rolls the transaction back.
func (db *DB) sendInTx(ctx context.Context, b *batch, then func(tx dbsqlc.DBTX) error) (err error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire a connection: %w", interpretError(err))
	}
	defer conn.Release()
	defer func() {
		if err == nil || conn.Conn().PgConn().TxStatus() == 'I' {
			return
		}
		// Roll back before the connection goes back to the pool; the pool drops a
		// connection that is still in a transaction, so a failed rollback is safe too.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = conn.Exec(rctx, "ROLLBACK") // the write's own error is what the caller needs
	}()
	full := &batch{}
	full.b.Queue("BEGIN")
	full.what = append([]string{"begin"}, b.what...)
	full.results = append([]func(pgconn.CommandTag){nil}, b.results...)
	full.b.QueuedQueries = append(full.b.QueuedQueries, b.b.QueuedQueries...)
	if err := full.send(ctx, conn); err != nil {
		return err
	}
	if err := then(conn); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit: %w", interpretError(err))
	}
	return nil
}

// batchSender is a transaction or a connection.
type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// send runs the queued statements on tx, in order, and stops at the first error.
func (b *batch) send(ctx context.Context, tx batchSender) error {
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
