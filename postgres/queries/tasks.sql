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
    comment = @comment,
    completed_by = @completed_by,
    completed_at = COALESCE(sqlc.narg('completed_at')::timestamptz, now())
WHERE id = @id AND status = 'open';

-- name: PutTask :exec
-- Writes a task as an ordered write (interpreter version 3) has it, whatever the row
-- holds: an open task of a discarded write closed, a closed one reopened, every field
-- as the run says. A row that already says so is left alone.
INSERT INTO tasks (id, run_id, step_id, definition, title, description, kind, status,
                   assignees, candidate_groups, claimed_by, due_at, form, outcome, data,
                   comment, completed_by, created_at, completed_at, sync_seq)
VALUES (@id, @run_id, @step_id, @definition, @title, @description, @kind, @status,
        @assignees, @candidate_groups, @claimed_by, sqlc.narg('due_at'), @form, @outcome,
        sqlc.narg('data'), @comment, @completed_by, @created_at, sqlc.narg('completed_at'), @sync_seq)
ON CONFLICT (id) DO UPDATE SET
    run_id = EXCLUDED.run_id, step_id = EXCLUDED.step_id, definition = EXCLUDED.definition,
    title = EXCLUDED.title, description = EXCLUDED.description, kind = EXCLUDED.kind,
    status = EXCLUDED.status, assignees = EXCLUDED.assignees,
    candidate_groups = EXCLUDED.candidate_groups, claimed_by = EXCLUDED.claimed_by,
    due_at = EXCLUDED.due_at, form = EXCLUDED.form, outcome = EXCLUDED.outcome,
    data = EXCLUDED.data, comment = EXCLUDED.comment, completed_by = EXCLUDED.completed_by,
    created_at = EXCLUDED.created_at, completed_at = EXCLUDED.completed_at,
    sync_seq = EXCLUDED.sync_seq
WHERE (tasks.run_id, tasks.step_id, tasks.definition, tasks.title, tasks.description, tasks.kind,
       tasks.status, tasks.assignees, tasks.candidate_groups, tasks.claimed_by, tasks.due_at,
       tasks.form, tasks.outcome, tasks.data, tasks.comment, tasks.completed_by, tasks.created_at,
       tasks.completed_at)
      IS DISTINCT FROM
      (EXCLUDED.run_id, EXCLUDED.step_id, EXCLUDED.definition, EXCLUDED.title, EXCLUDED.description,
       EXCLUDED.kind, EXCLUDED.status, EXCLUDED.assignees, EXCLUDED.candidate_groups,
       EXCLUDED.claimed_by, EXCLUDED.due_at, EXCLUDED.form, EXCLUDED.outcome, EXCLUDED.data,
       EXCLUDED.comment, EXCLUDED.completed_by, EXCLUDED.created_at, EXCLUDED.completed_at);

-- name: DeleteStrayTasks :exec
-- Deletes the run's open tasks that the run's write does not name: tasks a write from
-- a discarded workflow task opened, which the history never did.
DELETE FROM tasks
WHERE run_id = @run_id AND status = 'open' AND NOT (id = ANY (@keep::text[]));

-- name: DeleteTasksExcept :exec
-- Deletes every task of the run created since it started that is not named: a rebuild
-- names them all. Tasks of an earlier run of the same id stay.
DELETE FROM tasks
WHERE run_id = @run_id AND created_at >= @since AND NOT (id = ANY (@keep::text[]));

-- name: Task :one
SELECT * FROM tasks WHERE id = @id;

-- name: ListTasks :many
-- Order: COALESCE(due_at, 'infinity') (due_at ascending, NULLs last), then
-- created_at, then id; the cursor is the last row's triple. Empty or NULL
-- parameters disable their filter; with custom plans Postgres folds them away
-- so the assignee inbox runs as a BitmapOr over the GIN indexes. @search_pattern is an
-- ILIKE pattern (backslash escapes) over the title and the run's summary.
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
  AND (@search_pattern::text = ''
       OR t.title ILIKE @search_pattern::text ESCAPE '\'
       OR EXISTS (SELECT 1 FROM runs r WHERE r.id = t.run_id AND r.summary ILIKE @search_pattern::text ESCAPE '\'))
  AND (NOT @has_cursor::bool
       OR (COALESCE(t.due_at, 'infinity'::timestamptz), t.created_at, t.id)
          > (COALESCE(sqlc.narg('cursor_due')::timestamptz, 'infinity'::timestamptz),
             @cursor_created::timestamptz, @cursor_id::text))
ORDER BY COALESCE(t.due_at, 'infinity'::timestamptz), t.created_at, t.id
LIMIT @lim::int;

-- name: ListInbox :many
-- The open tasks in the inboxes of @principals ('u:<user>', 'g:<group>'), in the order
-- of ListTasks, from inbox_entries (migration 006): each principal contributes at most
-- one page read in index order from its cursor position, the union is de-duplicated (a
-- task can be in a user's and their group's inbox) and cut to a page, and only that
-- page's rows are read from tasks. Every bound is a plain parameter, so a generic plan
-- uses the index as well as a custom one.
WITH candidates AS (
    SELECT DISTINCT e.task_id, e.sort_due, e.created_at
    FROM unnest(@principals::text[]) AS p(principal)
    CROSS JOIN LATERAL (
        SELECT i.task_id, i.sort_due, i.created_at
        FROM inbox_entries i
        WHERE i.principal = p.principal
          AND i.sort_due >= COALESCE(sqlc.narg('due_from')::timestamptz, '-infinity'::timestamptz)
          AND i.sort_due <= COALESCE(sqlc.narg('due_to')::timestamptz, 'infinity'::timestamptz)
          AND (i.sort_due, i.created_at, i.task_id) >
              (CASE WHEN @has_cursor::bool THEN COALESCE(sqlc.narg('after_due')::timestamptz, 'infinity'::timestamptz)
                    ELSE '-infinity'::timestamptz END,
               @after_created::timestamptz, @after_id::text)
          AND (@definition::text = '' OR i.definition = @definition::text)
        ORDER BY i.sort_due, i.created_at, i.task_id
        LIMIT @lim::int
    ) e
    ORDER BY e.sort_due, e.created_at, e.task_id
    LIMIT @lim::int
)
SELECT t.* FROM candidates c JOIN tasks t ON t.id = c.task_id
ORDER BY c.sort_due, c.created_at, c.task_id;
