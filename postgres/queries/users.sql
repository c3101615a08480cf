-- name: CreateUser :one
INSERT INTO users (id, name, email, role, groups, manager)
VALUES (@id, @name, @email, @role, @groups, @manager)
RETURNING *;

-- name: UpsertUser :one
INSERT INTO users (id, name, email, role, groups, manager)
VALUES (@id, @name, @email, @role, @groups, @manager)
ON CONFLICT (id) DO UPDATE SET
    name = EXCLUDED.name,
    email = EXCLUDED.email,
    role = EXCLUDED.role,
    groups = EXCLUDED.groups,
    manager = EXCLUDED.manager
RETURNING *;

-- name: User :one
SELECT * FROM users WHERE id = @id;

-- name: UpdateUser :one
-- Changes the fields given; a NULL keeps the field as it is.
UPDATE users SET
    name    = COALESCE(sqlc.narg('name'), name),
    email   = COALESCE(sqlc.narg('email'), email),
    role    = COALESCE(sqlc.narg('role'), role),
    groups  = COALESCE(sqlc.narg('groups')::text[], groups),
    manager = COALESCE(sqlc.narg('manager'), manager)
WHERE id = @id
RETURNING *;

-- name: DeactivateUser :one
-- Deactivates a user (keeping when it first happened) and ends their web sessions.
WITH ended AS (DELETE FROM web_sessions WHERE user_id = @id)
UPDATE users SET deactivated_at = COALESCE(deactivated_at, now())
WHERE id = @id
RETURNING *;

-- name: ReactivateUser :one
UPDATE users SET deactivated_at = NULL WHERE id = @id RETURNING *;

-- name: ListUsers :many
SELECT * FROM users
WHERE id > @after::text
ORDER BY id
LIMIT @lim::int;

-- name: GroupMembers :many
-- The active members of a group.
SELECT id FROM users
WHERE groups @> ARRAY[@group_name::text] AND deactivated_at IS NULL
ORDER BY id;

-- name: CreateAPIKey :one
INSERT INTO api_keys (user_id, prefix, hash, scope, expires_at)
VALUES (@user_id, @prefix, @hash, @scope, sqlc.narg('expires_at'))
RETURNING id, user_id, prefix, scope, created_at, expires_at, last_used_at;

-- name: CredentialByHash :one
-- An expired key, or a deactivated user's, is not found.
SELECT k.id AS key_id, k.prefix, k.scope, k.created_at AS key_created_at, k.expires_at, k.last_used_at,
       u.id, u.name, u.email, u.role, u.groups, u.manager, u.created_at
FROM api_keys k
JOIN users u ON u.id = k.user_id
WHERE k.hash = @hash AND (k.expires_at IS NULL OR k.expires_at > now()) AND u.deactivated_at IS NULL;

-- name: TouchAPIKey :exec
UPDATE api_keys SET last_used_at = now() WHERE id = @id;

-- name: ListAPIKeys :many
SELECT id, user_id, prefix, scope, created_at, expires_at, last_used_at
FROM api_keys
WHERE (@user_id::text = '' OR user_id = @user_id::text) AND id > @after::text
ORDER BY id
LIMIT @lim::int;

-- name: DeleteAPIKey :execrows
DELETE FROM api_keys WHERE id = @id;

-- name: DeleteAPIKeyByHash :execrows
-- Ends a credential of one scope only (a codec session never revokes a full key).
DELETE FROM api_keys WHERE hash = @hash AND scope = @scope;

-- name: DeleteExpiredAPIKeys :execrows
-- Forgets the expired keys of a scope (codec sessions: they are never shown again).
DELETE FROM api_keys WHERE scope = @scope AND expires_at <= now();

-- name: FindPeople :many
-- Active people whose id or name starts a word with the text, for a picker; ids and
-- names only.
SELECT id, name FROM users
WHERE (id ILIKE @prefix::text || '%' OR name ILIKE @prefix::text || '%' OR name ILIKE '% ' || @prefix::text || '%')
  AND deactivated_at IS NULL
ORDER BY name, id
LIMIT @lim::int;
