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

-- name: ListUsers :many
SELECT * FROM users
WHERE id > @after::text
ORDER BY id
LIMIT @lim::int;

-- name: GroupMembers :many
SELECT id FROM users
WHERE groups @> ARRAY[@group_name::text]
ORDER BY id;

-- name: CreateAPIKey :one
INSERT INTO api_keys (user_id, prefix, hash)
VALUES (@user_id, @prefix, @hash)
RETURNING id, user_id, prefix, created_at;

-- name: UserByAPIKeyHash :one
SELECT u.*
FROM api_keys k
JOIN users u ON u.id = k.user_id
WHERE k.hash = @hash;
