-- name: ReportRuns :one
-- Runs of one definition started in [@from, @to): how many, how they stand, and the
-- cycle time (started → completed) of those that completed, in seconds (0 when none
-- completed: the caller reports no percentile then).
SELECT
    count(*)::bigint AS started,
    (count(*) FILTER (WHERE r.status = 'completed'))::bigint AS completed,
    (count(*) FILTER (WHERE r.status = 'failed'))::bigint AS failed,
    (count(*) FILTER (WHERE r.status = 'cancelled'))::bigint AS cancelled,
    COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.completed_at - r.started_at))
        FILTER (WHERE r.status = 'completed'), 0)::float8 AS cycle_p50,
    COALESCE(percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM r.completed_at - r.started_at))
        FILTER (WHERE r.status = 'completed'), 0)::float8 AS cycle_p90
FROM runs r
WHERE r.definition = @definition
  AND r.started_at >= @from_time::timestamptz
  AND r.started_at < @to_time::timestamptz;

-- name: ReportSteps :many
-- Tasks of one definition created in [@from, @to), per step. Fix-it tasks (kind
-- 'fixit', step_id = the failing step) count as exceptions, not as the step's tasks.
-- wait: completed_at − created_at of completed tasks, in seconds (0 when none
-- completed: the caller reports no percentile then). overdue: completed
-- after due_at, or still open past it at @now. rework: tasks of a (run, step) beyond
-- the first (later rounds after a send-back or a jump back). rejected: approval tasks
-- decided "rejected". Steps come in the order their first task was created.
SELECT
    t.step_id::text AS step_id,
    (count(*) FILTER (WHERE t.kind <> 'fixit'))::bigint AS tasks,
    (count(*) FILTER (WHERE t.kind <> 'fixit' AND t.status = 'completed'))::bigint AS completed,
    COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.completed_at - t.created_at))
        FILTER (WHERE t.kind <> 'fixit' AND t.status = 'completed'), 0)::float8 AS wait_p50,
    COALESCE(percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM t.completed_at - t.created_at))
        FILTER (WHERE t.kind <> 'fixit' AND t.status = 'completed'), 0)::float8 AS wait_p90,
    (count(*) FILTER (WHERE t.kind <> 'fixit' AND t.due_at IS NOT NULL
        AND ((t.status = 'completed' AND t.completed_at > t.due_at)
             OR (t.status = 'open' AND t.due_at < @now::timestamptz))))::bigint AS overdue,
    ((count(*) FILTER (WHERE t.kind <> 'fixit'))
        - (count(DISTINCT t.run_id) FILTER (WHERE t.kind <> 'fixit')))::bigint AS rework,
    (count(*) FILTER (WHERE t.kind = 'fixit'))::bigint AS exceptions,
    (count(*) FILTER (WHERE t.kind = 'approval' AND t.status = 'completed' AND t.outcome = 'rejected'))::bigint AS rejected
FROM tasks t
WHERE t.definition = @definition
  AND t.created_at >= @from_time::timestamptz
  AND t.created_at < @to_time::timestamptz
GROUP BY t.step_id
ORDER BY min(t.created_at), t.step_id;
