-- name: WebhookSecretLock :exec
-- Serialises secret changes of one trigger, so the two-secret limit holds under
-- concurrent requests; released when the transaction ends.
SELECT pg_advisory_xact_lock(hashtextextended(@definition::text || '/' || @trigger::text, 0));

-- name: CountWebhookSecrets :one
SELECT count(*) FROM webhook_secrets WHERE definition = @definition AND trigger = @trigger;

-- name: InsertWebhookSecret :one
INSERT INTO webhook_secrets (id, definition, trigger, ciphertext, created_by)
VALUES (@id, @definition, @trigger, @ciphertext, @created_by)
RETURNING *;

-- name: WebhookSecrets :many
SELECT * FROM webhook_secrets
WHERE definition = @definition AND trigger = @trigger
ORDER BY created_at, id;

-- name: DeleteWebhookSecret :execrows
DELETE FROM webhook_secrets WHERE definition = @definition AND trigger = @trigger AND id = @id;

-- name: InsertWebhookDelivery :execrows
-- A concurrent insert of the same delivery waits here until the first transaction
-- ends: it then inserts (the first rolled back) or does nothing (the first committed).
INSERT INTO webhook_deliveries (definition, trigger, webhook_id, run_id)
VALUES (@definition, @trigger, @webhook_id, @run_id)
ON CONFLICT (definition, webhook_id) DO NOTHING;

-- name: WebhookDelivery :one
SELECT * FROM webhook_deliveries WHERE definition = @definition AND webhook_id = @webhook_id;

-- name: CountWebhookDeliveries :one
SELECT count(*) FROM webhook_deliveries WHERE definition = @definition;

-- name: InsertSchedule :one
INSERT INTO schedules (id, definition, version, cron, every, time_zone, overlap, inputs, created_by)
VALUES (@id, @definition, @version, @cron, @every, @time_zone, @overlap, @inputs, @created_by)
RETURNING *;

-- name: Schedule :one
SELECT * FROM schedules WHERE id = @id;

-- name: ListSchedules :many
SELECT * FROM schedules
WHERE (@definition::text = '' OR definition = @definition::text)
ORDER BY created_at, id
LIMIT @lim::int;

-- name: DeleteSchedule :execrows
DELETE FROM schedules WHERE id = @id;
