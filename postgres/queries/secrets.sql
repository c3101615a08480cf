-- name: PutSecret :exec
INSERT INTO secrets (name, ciphertext)
VALUES (@name, @ciphertext)
ON CONFLICT (name) DO UPDATE SET
    ciphertext = EXCLUDED.ciphertext,
    updated_at = now();

-- name: Secret :one
SELECT ciphertext FROM secrets WHERE name = @name;

-- name: ListSecrets :many
SELECT name, created_at, updated_at FROM secrets ORDER BY name;

-- name: DeleteSecret :execrows
DELETE FROM secrets WHERE name = @name;
