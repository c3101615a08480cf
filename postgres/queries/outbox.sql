-- name: EnqueueOutbox :execrows
-- Queues ready-made deliveries; a dedupe key already queued is skipped.
INSERT INTO outbox (kind, payload, dedupe_key)
SELECT n.kind, n.payload::jsonb, n.dedupe_key
FROM ROWS FROM (unnest(@kinds::text[]), unnest(@payloads::text[]), unnest(@dedupe_keys::text[]))
    AS n (kind, payload, dedupe_key)
ON CONFLICT (dedupe_key) DO NOTHING;

-- name: EnqueueTaskEmails :exec
-- Queues one email per recipient about a task as the projection holds it now, so
-- it runs after the task is written. Each wanted row names users to tell: kind
-- 'user' (that user), 'group' (its members) or 'manager_of' (that user's manager).
-- Users without an email address, and deactivated users, are skipped. Dedupe key:
-- key || '/' || user id. The task carries its definition's time zone, in which the
-- email shows the due time. The rows carry the write that queued them (@sync_write '' for writes of older runs).
WITH wanted AS (
    SELECT * FROM ROWS FROM (unnest(@keys::text[]), unnest(@events::text[]), unnest(@task_ids::text[]),
                            unnest(@kinds::text[]), unnest(@principals::text[]))
        AS w (key, event, task_id, kind, principal)
), recipients AS (
    SELECT w.key, w.event, w.task_id, u.id AS user_id, u.email
    FROM wanted w JOIN users u ON w.kind = 'user' AND u.id = w.principal AND u.deactivated_at IS NULL
    UNION
    SELECT w.key, w.event, w.task_id, u.id, u.email
    FROM wanted w JOIN users u ON w.kind = 'group' AND u.groups @> ARRAY[w.principal] AND u.deactivated_at IS NULL
    UNION
    SELECT w.key, w.event, w.task_id, u.id, u.email
    FROM wanted w
    JOIN users m ON w.kind = 'manager_of' AND m.id = w.principal
    JOIN users u ON u.id = m.manager AND u.deactivated_at IS NULL
)
INSERT INTO outbox (kind, payload, dedupe_key, run_id, sync_seq, sync_write)
SELECT 'email',
       jsonb_build_object('to', rc.email, 'user', rc.user_id, 'event', rc.event,
           'task', jsonb_strip_nulls(jsonb_build_object(
               'id', t.id, 'run_id', t.run_id, 'title', t.title, 'kind', t.kind,
               'summary', COALESCE(r.summary, ''), 'due_at', outbox_time(t.due_at),
               'time_zone', d.program->>'time_zone'))),
       rc.key || '/' || rc.user_id, t.run_id, @sync_seq::bigint, @sync_write::text
FROM recipients rc
JOIN tasks t ON t.id = rc.task_id
LEFT JOIN runs r ON r.id = t.run_id
LEFT JOIN definitions d ON d.key = r.definition AND d.version = r.version
WHERE rc.email <> ''
ON CONFLICT (dedupe_key) DO NOTHING;

-- name: EnqueueEvents :exec
-- Queues each event for every enabled subscription that wants its type. The body is
-- the Standard Webhooks payload {type, timestamp, sequence, data}; data carries the run
-- and the task as the projection holds them now, so it runs after they are written.
-- sequence numbers the run's events in the order queued, after those already queued
-- (a write deletes what a discarded one queued first). Dedupe key: subscription id ||
-- '/' || key.
WITH ev AS (
    SELECT * FROM ROWS FROM (unnest(@types::text[]), unnest(@keys::text[]), unnest(@run_ids::text[]),
                            unnest(@task_ids::text[]), unnest(@step_ids::text[]),
                            unnest(@occurred_at::timestamptz[]), unnest(@errors::text[]))
        WITH ORDINALITY AS e (type, key, run_id, task_id, step_id, occurred_at, error, ord)
), numbered AS (
    SELECT ev.*, ev.ord + COALESCE((SELECT max(o.sequence) FROM outbox o WHERE o.run_id = ev.run_id), 0) AS sequence
    FROM ev
), wanted AS (
    SELECT n.*, s.id AS subscription_id
    FROM numbered n JOIN subscriptions s ON NOT s.disabled AND n.type = ANY (s.events)
        -- A subscription carries only the runs its creator may see (migration 009).
        AND (s.created_by = '' OR run_visible(n.run_id, s.created_by))
)
INSERT INTO outbox (kind, payload, dedupe_key, run_id, sync_seq, sync_write, sequence)
SELECT 'webhook',
       jsonb_build_object('subscription', w.subscription_id, 'body', jsonb_build_object(
           'type', w.type,
           'timestamp', outbox_time(w.occurred_at),
           'sequence', w.sequence,
           'data', jsonb_strip_nulls(jsonb_build_object(
               'run', (SELECT jsonb_build_object(
                           'id', r.id, 'definition', r.definition, 'version', r.version,
                           'status', r.status, 'business_key', NULLIF(r.business_key, ''),
                           'summary', r.summary, 'started_by', r.started_by,
                           'started_at', outbox_time(r.started_at), 'completed_at', outbox_time(r.completed_at))
                       FROM runs r WHERE r.id = w.run_id),
               'task', (SELECT jsonb_build_object(
                           'id', t.id, 'run_id', t.run_id, 'step_id', t.step_id,
                           'definition', t.definition, 'title', t.title, 'kind', t.kind,
                           'status', t.status, 'assignees', t.assignees,
                           'candidate_groups', t.candidate_groups,
                           'claimed_by', NULLIF(t.claimed_by, ''), 'due_at', outbox_time(t.due_at),
                           'outcome', NULLIF(t.outcome, ''), 'comment', NULLIF(t.comment, ''), 'data', t.data,
                           'completed_by', NULLIF(t.completed_by, ''),
                           'created_at', outbox_time(t.created_at), 'completed_at', outbox_time(t.completed_at))
                        FROM tasks t WHERE t.id = w.task_id),
               'step_id', NULLIF(w.step_id, ''),
               'error', NULLIF(w.error, ''))))),
       w.subscription_id || '/' || w.key, w.run_id, @sync_seq::bigint, @sync_write::text, w.sequence
FROM wanted w
ON CONFLICT (dedupe_key) DO NOTHING;

-- name: DeleteDiscardedDeliveries :exec
-- Deletes the deliveries that writes of the run from a discarded workflow task queued
-- and that are not sent: those at the given write's number or later, from other writes.
DELETE FROM outbox
WHERE run_id = @run_id AND sync_seq >= @sync_seq AND sync_write <> '' AND sync_write <> @sync_write
  AND delivered_at IS NULL;

-- name: Recipients :many
-- The users principals name, with their email addresses: kind 'user' (that user),
-- 'group' (its members) or 'manager_of' (that user's manager); deactivated users are left out.
WITH wanted AS (
    SELECT * FROM ROWS FROM (unnest(@kinds::text[]), unnest(@principals::text[])) AS w (kind, principal)
)
SELECT w.kind::text AS kind, w.principal::text AS principal, u.id AS user_id, u.email
FROM wanted w JOIN users u ON w.kind = 'user' AND u.id = w.principal AND u.deactivated_at IS NULL
UNION ALL
SELECT w.kind, w.principal, u.id, u.email
FROM wanted w JOIN users u ON w.kind = 'group' AND u.groups @> ARRAY[w.principal] AND u.deactivated_at IS NULL
UNION ALL
SELECT w.kind, w.principal, u.id, u.email
FROM wanted w
JOIN users m ON w.kind = 'manager_of' AND m.id = w.principal
JOIN users u ON u.id = m.manager AND u.deactivated_at IS NULL;

-- name: ClaimOutbox :many
-- Takes up to lim due deliveries: counts the attempt and leases them until
-- now + lease, so a dispatcher that dies mid-delivery leaves them to be retried.
UPDATE outbox SET
    attempts = attempts + 1,
    next_attempt_at = now() + make_interval(secs => @lease_seconds::float8)
WHERE id IN (
    SELECT o.id FROM outbox o
    WHERE o.delivered_at IS NULL AND o.dead_at IS NULL AND o.next_attempt_at <= now()
    ORDER BY o.next_attempt_at
    LIMIT @lim::int
    FOR UPDATE SKIP LOCKED)
RETURNING *;

-- name: OutboxHold :exec
-- Gives a claimed delivery back without counting the attempt: due again after retry_in.
UPDATE outbox SET
    attempts = attempts - 1,
    next_attempt_at = now() + make_interval(secs => @retry_in_seconds::float8)
WHERE id = @id;

-- name: DeleteDelivery :exec
DELETE FROM outbox WHERE id = @id AND delivered_at IS NULL;

-- name: OutboxDelivered :exec
UPDATE outbox SET delivered_at = now(), last_error = '' WHERE id = @id;

-- name: OutboxFailed :exec
-- Records a failed attempt: retried after retry_in, or dead (never retried).
UPDATE outbox SET
    last_error = @last_error,
    next_attempt_at = now() + make_interval(secs => @retry_in_seconds::float8),
    dead_at = CASE WHEN @dead::boolean THEN now() END
WHERE id = @id;

-- name: OutboxItem :one
SELECT * FROM outbox WHERE id = @id;

-- name: ListOutbox :many
-- Deliveries oldest first, optionally of one kind or with a dedupe key prefix.
SELECT * FROM outbox
WHERE (@kind::text = '' OR kind = @kind::text)
  AND (@key_prefix::text = '' OR starts_with(dedupe_key, @key_prefix::text))
ORDER BY created_at, id
LIMIT @lim::int;

-- name: ListenOutbox :exec
-- The outbox_notify trigger notifies this channel for every delivery queued.
LISTEN handoff_outbox;
