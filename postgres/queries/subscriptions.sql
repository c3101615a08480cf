-- name: CreateSubscription :one
INSERT INTO subscriptions (id, url, events, secret, description, created_by)
VALUES (@id, @url, @events, @secret, @description, @created_by)
RETURNING *;

-- name: Subscription :one
SELECT * FROM subscriptions WHERE id = @id;

-- name: ListSubscriptions :many
SELECT * FROM subscriptions
WHERE id > @after::text
ORDER BY id
LIMIT @lim::int;

-- name: DeleteSubscription :execrows
DELETE FROM subscriptions WHERE id = @id;
