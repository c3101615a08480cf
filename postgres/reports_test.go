package postgres

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
)

var reportT0 = time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)

// seedReport writes runs and tasks whose report is worked out by hand in TestDefinitionReport.
func seedReport(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	at := func(d time.Duration) time.Time { return reportT0.Add(d) }
	runs := []struct {
		id, def, status string
		started         time.Time
		took            time.Duration // to completed_at; 0 = none
	}{
		{"r1", "buy", "completed", at(time.Hour), 100 * time.Second},
		{"r2", "buy", "completed", at(2 * time.Hour), 300 * time.Second},
		{"r3", "buy", "completed", at(3 * time.Hour), 500 * time.Second},
		{"r4", "buy", "failed", at(4 * time.Hour), time.Minute},
		{"r5", "buy", "cancelled", at(5 * time.Hour), time.Minute},
		{"r6", "buy", "running", at(6 * time.Hour), 0},
		{"early", "buy", "completed", at(-time.Hour), time.Second}, // before the window
		{"other", "sell", "completed", at(time.Hour), time.Second}, // another definition
	}
	for _, r := range runs {
		var done *time.Time
		if r.took > 0 {
			d := r.started.Add(r.took)
			done = &d
		}
		_, err := db.pool.Exec(ctx, `INSERT INTO runs (id, definition, version, status, started_at, completed_at)
			VALUES ($1, $2, 1, $3, $4, $5)`, r.id, r.def, r.status, r.started, done)
		require.NoError(t, err)
	}
	tasks := []struct {
		id, def, step, kind, status, outcome string
		created                              time.Time
		took                                 time.Duration
		due                                  *time.Time
	}{
		{"r1.quote", "buy", "quote", "task", "completed", "completed", at(time.Hour), 60 * time.Second, ptrTime(at(time.Hour + 30*time.Second))},
		{"r2.quote", "buy", "quote", "task", "completed", "completed", at(2 * time.Hour), 120 * time.Second, ptrTime(at(3 * time.Hour))},
		{"r3.quote", "buy", "quote", "task", "completed", "completed", at(3 * time.Hour), 180 * time.Second, nil},
		{"r3.quote.2", "buy", "quote", "task", "completed", "completed", at(3*time.Hour + 10*time.Minute), 240 * time.Second, nil},
		{"r1.approve", "buy", "approve", "approval", "completed", "approved", at(time.Hour + 2*time.Minute), 10 * time.Second, nil},
		{"r2.approve", "buy", "approve", "approval", "completed", "rejected", at(2*time.Hour + 3*time.Minute), 20 * time.Second, nil},
		{"r4.approve", "buy", "approve", "approval", "open", "", at(4 * time.Hour), 0, ptrTime(at(5 * time.Hour))},
		{"r5.approve", "buy", "approve", "approval", "cancelled", "", at(5 * time.Hour), time.Minute, ptrTime(at(5 * time.Hour))},
		{"r4.order.fix1", "buy", "order", "fixit", "completed", "retry", at(4*time.Hour + time.Minute), time.Minute, nil},
		{"r6.order.fix1", "buy", "order", "fixit", "open", "", at(6*time.Hour + time.Minute), 0, nil},
		{"early.quote", "buy", "quote", "task", "completed", "completed", at(-time.Hour), time.Hour, nil},
		{"other.quote", "sell", "quote", "task", "completed", "completed", at(time.Hour), time.Hour, nil},
	}
	for _, tk := range tasks {
		var done *time.Time
		if tk.took > 0 {
			d := tk.created.Add(tk.took)
			done = &d
		}
		_, err := db.pool.Exec(ctx, `INSERT INTO tasks (id, run_id, step_id, definition, kind, status, outcome, created_at, completed_at, due_at)
			VALUES ($1, split_part($1, '.', 1), $2, $3, $4, $5, $6, $7, $8, $9)`,
			tk.id, tk.step, tk.def, tk.kind, tk.status, tk.outcome, tk.created, done, tk.due)
		require.NoError(t, err)
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

func ptrFloat(f float64) *float64 { return &f }

func TestDefinitionReport(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	seedReport(t, db)
	got, err := db.DefinitionReport(context.Background(), ReportWindow{
		Definition: "buy", From: reportT0, To: reportT0.Add(24 * time.Hour), Now: reportT0.Add(7 * time.Hour)})
	require.NoError(t, err)

	require.Equal(t, RunCounts{Started: 6, Running: 1, Completed: 3, Failed: 1, Cancelled: 1}, got.Runs)
	// Cycle times 100, 300, 500 s: p50 300; p90 interpolates 300 + 0.8 × 200.
	require.Equal(t, Percentiles{P50: ptrFloat(300), P90: ptrFloat(460)}, got.CycleTime)
	require.Equal(t, []StepReport{
		// Waits 60, 120, 180, 240 s: p50 150, p90 180 + 0.7 × 60. r1.quote was done after
		// its due date; r3 did the quote twice.
		{Step: "quote", Tasks: 4, Completed: 4, Wait: Percentiles{P50: ptrFloat(150), P90: ptrFloat(222)}, Overdue: 1, Rework: 1},
		// Waits 10, 20 s. r4.approve is open past its due date (r5's was cancelled: not overdue).
		{Step: "approve", Tasks: 4, Completed: 2, Wait: Percentiles{P50: ptrFloat(15), P90: ptrFloat(19)}, Overdue: 1, Rejected: 1},
		// Only fix-it tasks: exceptions, and no wait to measure.
		{Step: "order", Exceptions: 2},
	}, roundSteps(got.Steps))

	empty, err := db.DefinitionReport(context.Background(), ReportWindow{
		Definition: "buy", From: reportT0.Add(-48 * time.Hour), To: reportT0.Add(-24 * time.Hour), Now: reportT0})
	require.NoError(t, err)
	require.Equal(t, Report{Steps: []StepReport{}}, empty)
}

// roundSteps rounds percentiles to milliseconds (they come out of float arithmetic).
func roundSteps(steps []StepReport) []StepReport {
	r := func(p *float64) *float64 {
		if p == nil {
			return nil
		}
		v := float64(int64(*p*1000+0.5)) / 1000
		return &v
	}
	for i := range steps {
		steps[i].Wait = Percentiles{P50: r(steps[i].Wait.P50), P90: r(steps[i].Wait.P90)}
	}
	return steps
}

// planDBTX explains every statement it is given (keeping the plans) and then runs it.
type planDBTX struct {
	db    *DB
	plans []json.RawMessage
}

func (p *planDBTX) explain(ctx context.Context, sql string, args ...any) {
	var plan json.RawMessage
	if err := p.db.pool.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&plan); err != nil {
		panic(err)
	}
	p.plans = append(p.plans, plan)
}

func (p *planDBTX) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	panic("planDBTX: Exec not supported")
}

func (p *planDBTX) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	p.explain(ctx, sql, args...)
	return p.db.pool.Query(ctx, sql, args...)
}

func (p *planDBTX) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	p.explain(ctx, sql, args...)
	return p.db.pool.QueryRow(ctx, sql, args...)
}

// TestReportUsesIndexes checks, on a few thousand rows over many definitions, that both
// report queries read runs and tasks through indexes.
func TestReportUsesIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	_, err := db.pool.Exec(ctx, `
		INSERT INTO runs (id, definition, version, status, started_at, completed_at)
		SELECT 'run-' || i, 'def-' || (i % 40), 1, CASE WHEN i % 3 = 0 THEN 'running' ELSE 'completed' END,
		       $1::timestamptz - (i % 90) * interval '1 day',
		       CASE WHEN i % 3 = 0 THEN NULL ELSE $1::timestamptz - (i % 90) * interval '1 day' + i * interval '1 minute' END
		FROM generate_series(1, 4000) AS i`, reportT0)
	require.NoError(t, err)
	_, err = db.pool.Exec(ctx, `
		INSERT INTO tasks (id, run_id, step_id, definition, kind, status, created_at, completed_at, due_at)
		SELECT 'task-' || i, 'run-' || (i / 3), 'step-' || (i % 3), 'def-' || ((i / 3) % 40), 'task',
		       CASE WHEN i % 4 = 0 THEN 'open' ELSE 'completed' END,
		       $1::timestamptz - ((i / 3) % 90) * interval '1 day',
		       CASE WHEN i % 4 = 0 THEN NULL ELSE $1::timestamptz - ((i / 3) % 90) * interval '1 day' + interval '1 hour' END,
		       $1::timestamptz - ((i / 3) % 90) * interval '1 day' + interval '30 minutes'
		FROM generate_series(1, 12000) AS i`, reportT0)
	require.NoError(t, err)
	for _, stmt := range []string{"VACUUM ANALYZE runs", "VACUUM ANALYZE tasks"} {
		_, err = db.pool.Exec(ctx, stmt)
		require.NoError(t, err)
	}

	p := &planDBTX{db: db}
	got, err := db.definitionReport(ctx, p, ReportWindow{Definition: "def-7", From: reportT0.Add(-30 * 24 * time.Hour),
		To: reportT0.Add(time.Hour), Now: reportT0})
	require.NoError(t, err)
	require.NotZero(t, got.Runs.Started)
	require.NotEmpty(t, got.Steps)
	require.Len(t, p.plans, 2)
	for i, want := range []struct{ rel, index string }{
		{"runs", "runs_definition_started_idx"},
		{"tasks", "tasks_definition_created_idx"},
	} {
		scans := planScans(t, p.plans[i], want.rel)
		require.NotEmpty(t, scans, "plan reads %s: %s", want.rel, p.plans[i])
		require.NotContains(t, scans, "Seq Scan", "plan: %s", p.plans[i])
		require.Contains(t, planIndexes(t, p.plans[i]), want.index, "plan: %s", p.plans[i])
	}
}

// planIndexes lists the indexes a plan reads.
func planIndexes(t *testing.T, plan json.RawMessage) []string {
	t.Helper()
	type node struct {
		Index string `json:"Index Name"`
		Plans []node `json:"Plans"`
	}
	var root []struct{ Plan node }
	require.NoError(t, json.Unmarshal(plan, &root))
	var out []string
	var walk func(n node)
	walk = func(n node) {
		if n.Index != "" {
			out = append(out, n.Index)
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(root[0].Plan)
	return out
}
