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

// explainDBTX runs every query it is given as EXPLAIN (FORMAT JSON) and keeps
// the plan, answering the caller with no rows. It lets a test see the plan of
// the exact SQL and arguments a store method sends.
type explainDBTX struct {
	db   *DB
	plan json.RawMessage
}

func (e *explainDBTX) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	panic("explainDBTX: Exec not supported")
}

func (e *explainDBTX) QueryRow(context.Context, string, ...any) pgx.Row {
	panic("explainDBTX: QueryRow not supported")
}

func (e *explainDBTX) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := e.db.pool.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&e.plan); err != nil {
		return nil, err
	}
	return e.db.pool.Query(ctx, "SELECT 1 WHERE false")
}

// planScans returns the node types that read relation rel, walking the plan tree.
func planScans(t *testing.T, plan json.RawMessage, rel string) []string {
	t.Helper()
	type node struct {
		NodeType string `json:"Node Type"`
		Relation string `json:"Relation Name"`
		Plans    []node `json:"Plans"`
	}
	var root []struct{ Plan node }
	require.NoError(t, json.Unmarshal(plan, &root))
	require.Len(t, root, 1)
	var scans []string
	var walk func(n node)
	walk = func(n node) {
		if n.Relation == rel {
			scans = append(scans, n.NodeType)
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(root[0].Plan)
	return scans
}

func TestInboxUsesIndexes(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 100k tasks")
	}
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)

	start := time.Now()
	_, err := db.pool.Exec(ctx, `
		INSERT INTO tasks (id, run_id, step_id, definition, title, status, assignees, candidate_groups, due_at, created_at)
		SELECT 'task-' || i, 'run-' || (i / 5), 'step-' || (i % 5), 'def-' || (i % 20), 'Task ' || i, 'open',
		       ARRAY['user-' || (i % 1000)], ARRAY['group-' || (i % 200)],
		       CASE WHEN i % 7 = 0 THEN NULL ELSE $1::timestamptz + (i % 2000) * interval '1 hour' END,
		       $1::timestamptz - i * interval '1 second'
		FROM generate_series(1, 100000) AS i`, testNow)
	require.NoError(t, err)
	_, err = db.pool.Exec(ctx, "ANALYZE tasks, inbox_entries")
	require.NoError(t, err)
	t.Logf("inserted 100k tasks in %s", time.Since(start))

	yes := true
	tests := []struct {
		name   string
		filter TaskFilter
	}{
		{"assignee inbox", TaskFilter{Assignee: "user-7", Groups: []string{"group-3", "group-4"}, Status: "open"}},
		{"assignee inbox, second page", TaskFilter{Assignee: "user-7", Groups: []string{"group-3"}, Status: "open",
			After: encodeTaskCursor(taskCursor{Due: &testNow, Created: testNow, ID: "task-1"})}},
		{"assignee overdue", TaskFilter{Assignee: "user-7", Status: "open", Overdue: &yes, Now: testNow.Add(100 * time.Hour)}},
		{"definition", TaskFilter{Definition: "def-3", Status: "open", Limit: 50}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := &explainDBTX{db: db}
			_, _, err := db.listTasks(ctx, db.q, ex, tt.filter)
			require.NoError(t, err)
			scans := planScans(t, ex.plan, "tasks")
			require.NotEmpty(t, scans, "plan reads tasks: %s", ex.plan)
			require.NotContains(t, scans, "Seq Scan", "plan: %s", ex.plan)
			if tt.filter.Assignee != "" {
				// The inbox reads the inbox index, and tasks only by primary key (one page).
				entries := planScans(t, ex.plan, "inbox_entries")
				require.NotEmpty(t, entries, "plan reads inbox_entries: %s", ex.plan)
				require.NotContains(t, entries, "Seq Scan", "plan: %s", ex.plan)
				for _, s := range scans {
					require.Equal(t, "Index Scan", s, "plan: %s", ex.plan)
				}
			}
		})
	}

	// The real query returns the right rows at this size, too.
	got, _, err := db.ListTasks(ctx, TaskFilter{Assignee: "user-7", Status: "open", Limit: 1000})
	require.NoError(t, err)
	require.Len(t, got, 100)
	for _, task := range got {
		require.Equal(t, []string{"user-7"}, task.Assignees)
	}
}
