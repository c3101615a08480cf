-- name: DefinitionKeyLock :exec
-- Serialises publishers of one key; released when the transaction ends.
SELECT pg_advisory_xact_lock(hashtextextended('handoff.definitions/' || @key::text, 0));

-- name: LatestDefinition :one
SELECT * FROM definitions
WHERE key = @key
ORDER BY version DESC
LIMIT 1;

-- name: DefinitionVersion :one
SELECT * FROM definitions
WHERE key = @key AND version = @version;

-- name: InsertDefinition :one
INSERT INTO definitions (key, version, name, description, hash, source, program, created_by)
VALUES (@key, @version, @name, @description, @hash, @source, @program, @created_by)
RETURNING *;

-- name: ListLatestDefinitions :many
SELECT DISTINCT ON (key) key, version, name, description, hash, created_by, created_at
FROM definitions
ORDER BY key, version DESC;
