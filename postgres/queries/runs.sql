-- name: UpsertRun :exec
-- A run never moves from a terminal status back to running, so a late retry
-- of an earlier projection write cannot undo a later one. An empty summary or
-- a NULL completed_at keeps the stored value.
INSERT INTO runs (id, definition, version, status, business_key, summary, started_by, started_at, completed_at)
VALUES (@id, @definition, @version, @status, @business_key, @summary, @started_by,
        COALESCE(sqlc.narg('started_at')::timestamptz, now()), sqlc.narg('completed_at'))
ON CONFLICT (id) DO UPDATE SET
    status = EXCLUDED.status,
    summary = COALESCE(NULLIF(EXCLUDED.summary, ''), runs.summary),
    completed_at = COALESCE(EXCLUDED.completed_at, runs.completed_at)
WHERE runs.status = 'running' OR EXCLUDED.status <> 'running';

-- name: PutRun :execrows
-- Writes the run row as an ordered write (interpreter version 3) has it, unless the row
-- is at a write from further on in the run's history (a later fence, or a later run of
-- the same id): then nothing is written and the caller drops the whole write.
INSERT INTO runs (id, definition, version, status, business_key, summary, started_by, started_at,
                  completed_at, sync_seq, sync_fence, sync_fence_at)
VALUES (@id, @definition, @version, @status, @business_key, @summary, @started_by, @started_at,
        sqlc.narg('completed_at'), @sync_seq, @sync_fence, @sync_fence_at)
ON CONFLICT (id) DO UPDATE SET
    definition = EXCLUDED.definition, version = EXCLUDED.version, status = EXCLUDED.status,
    business_key = EXCLUDED.business_key, summary = EXCLUDED.summary,
    started_by = EXCLUDED.started_by, started_at = EXCLUDED.started_at,
    completed_at = EXCLUDED.completed_at, sync_seq = EXCLUDED.sync_seq, sync_fence = EXCLUDED.sync_fence,
    sync_fence_at = EXCLUDED.sync_fence_at
WHERE (runs.started_at, runs.sync_fence, runs.sync_fence_at)
      <= (EXCLUDED.started_at, EXCLUDED.sync_fence, EXCLUDED.sync_fence_at);

-- name: Run :one
SELECT * FROM runs WHERE id = @id;

-- name: ListRuns :many
-- Keyset: runs strictly after the run whose id is @after in
-- (started_at DESC, id DESC) order. An unknown @after yields no rows.
-- @viewer, when set, keeps only the runs that user may see (run_visible, migration 009).
SELECT r.* FROM runs r
WHERE (@definition::text = '' OR r.definition = @definition::text)
  AND (@viewer::text = '' OR run_visible(r.id, @viewer::text))
  AND (@status::text = '' OR r.status = @status::text)
  AND (@after::text = '' OR (r.started_at, r.id) < (SELECT a.started_at, a.id FROM runs a WHERE a.id = @after::text))
ORDER BY r.started_at DESC, r.id DESC
LIMIT @lim::int;

-- name: ActiveRunByBusinessKey :one
SELECT * FROM runs
WHERE definition = @definition AND business_key = @business_key AND status = 'running'
ORDER BY started_at DESC
LIMIT 1;
