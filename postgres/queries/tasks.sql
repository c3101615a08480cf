-- name: OpenTask :exec
-- Idempotent: a retry re-applies the assignment fields of a still-open task
-- and leaves a closed one alone.
INSERT INTO tasks (id, run_id, step_id, definition, title, description, kind, status,
                   assignees, candidate_groups, claimed_by, due_at, form, created_at)
VALUES (@id, @run_id, @step_id, @definition, @title, @description, @kind, 'open',
        @assignees, @candidate_groups, @claimed_by, sqlc.narg('due_at'), @form,
        COALESCE(sqlc.narg('created_at')::timestamptz, now()))
ON CONFLICT (id) DO UPDATE SET
    assignees = EXCLUDED.assignees,
    candidate_groups = EXCLUDED.candidate_groups,
    claimed_by = EXCLUDED.claimed_by,
    due_at = EXCLUDED.due_at
WHERE tasks.status = 'open';

-- name: CloseTask :execrows
UPDATE tasks SET
    status = @status,
    outcome = @outcome,
    data = @data,
    completed_by = @completed_by,
    completed_at = COALESCE(sqlc.narg('completed_at')::timestamptz, now())
WHERE id = @id AND status = 'open';

-- name: Task :one
SELECT * FROM tasks WHERE id = @id;

-- name: ListTasks :many
-- Order: COALESCE(due_at, 'infinity') (due_at ascending, NULLs last), then
-- created_at, then id; the cursor is the last row's triple. Empty or NULL
-- parameters disable their filter; with custom plans Postgres folds them away
-- so the assignee inbox runs as a BitmapOr over the GIN indexes.
SELECT t.* FROM tasks t
WHERE (@status::text = '' OR t.status = @status::text)
  AND (@definition::text = '' OR t.definition = @definition::text)
  AND (@assignee::text = ''
       OR ((t.assignees @> ARRAY[@assignee::text]
            OR t.candidate_groups && @groups::text[]
            OR t.claimed_by = @assignee::text)
           AND (t.claimed_by = '' OR t.claimed_by = @assignee::text)))
  AND (sqlc.narg('overdue')::bool IS NULL
       OR (sqlc.narg('overdue')::bool AND t.due_at < @now::timestamptz)
       OR (NOT sqlc.narg('overdue')::bool AND (t.due_at IS NULL OR t.due_at >= @now::timestamptz)))
  AND (NOT @has_cursor::bool
       OR (COALESCE(t.due_at, 'infinity'::timestamptz), t.created_at, t.id)
          > (COALESCE(sqlc.narg('cursor_due')::timestamptz, 'infinity'::timestamptz),
             @cursor_created::timestamptz, @cursor_id::text))
ORDER BY COALESCE(t.due_at, 'infinity'::timestamptz), t.created_at, t.id
LIMIT @lim::int;
