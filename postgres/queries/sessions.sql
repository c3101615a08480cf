-- The browser app's sessions and sign-ins (migration 010).

-- name: CreateWebSession :exec
INSERT INTO web_sessions (id_hash, user_id, expires_at)
VALUES (@id_hash, @user_id, @expires_at);

-- name: WebSessionUser :one
-- The user of a session that has not expired, unless deactivated.
SELECT u.*
FROM web_sessions s
JOIN users u ON u.id = s.user_id
WHERE s.id_hash = @id_hash AND s.expires_at > now() AND u.deactivated_at IS NULL;

-- name: DeleteWebSession :exec
DELETE FROM web_sessions WHERE id_hash = @id_hash;

-- name: DeleteExpiredWebSessions :one
-- Expired sessions, sign-ins and links; run now and then.
WITH s AS (DELETE FROM web_sessions WHERE web_sessions.expires_at <= now() RETURNING 1),
     i AS (DELETE FROM web_sign_ins WHERE web_sign_ins.expires_at <= now() RETURNING 1),
     l AS (DELETE FROM web_sign_in_links WHERE web_sign_in_links.expires_at <= now() RETURNING 1)
SELECT ((SELECT count(*) FROM s) + (SELECT count(*) FROM i) + (SELECT count(*) FROM l))::bigint AS deleted;

-- name: CreateWebSignIn :exec
INSERT INTO web_sign_ins (state_hash, nonce, verifier, next_path, expires_at)
VALUES (@state_hash, @nonce, @verifier, @next_path, @expires_at);

-- name: TakeWebSignIn :one
-- Uses a sign-in in progress once: it is deleted as it is read.
DELETE FROM web_sign_ins
WHERE state_hash = @state_hash AND expires_at > now()
RETURNING nonce, verifier, next_path;

-- name: CreateWebSignInLink :exec
INSERT INTO web_sign_in_links (token_hash, user_id, expires_at)
VALUES (@token_hash, @user_id, @expires_at);

-- name: WebSignInLinkUser :one
-- The user a link that is still good signs in (not a deactivated one), without using it.
SELECT u.*
FROM web_sign_in_links l
JOIN users u ON u.id = l.user_id
WHERE l.token_hash = @token_hash AND l.expires_at > now() AND u.deactivated_at IS NULL;

-- name: TakeWebSignInLink :one
-- Uses a link once: it is deleted as it is read (a deactivated user's is not found).
DELETE FROM web_sign_in_links l
USING users u
WHERE l.token_hash = @token_hash AND l.expires_at > now() AND u.id = l.user_id AND u.deactivated_at IS NULL
RETURNING l.user_id;

-- name: UsersByEmail :many
-- Directory users whose email is this one, ignoring case (at most two are read: more
-- than one is ambiguous).
SELECT * FROM users WHERE lower(email) = lower(@email::text) ORDER BY id LIMIT 2;

-- name: ListenWebInbox :exec
-- The web inbox triggers (migration 010) notify the principals whose open tasks changed.
LISTEN handoff_web_inbox;

-- name: CreateApprovalLink :exec
INSERT INTO web_approval_links (token_hash, task_id, user_id, outcome, expires_at)
VALUES (@token_hash, @task_id, @user_id, @outcome, @expires_at);

-- name: ApprovalLink :one
-- A link as it stands, without using it.
SELECT token_hash, task_id, user_id, outcome, expires_at, used_at
FROM web_approval_links WHERE token_hash = @token_hash;

-- name: UseApprovalLink :one
-- Uses a link that is still good, once.
UPDATE web_approval_links SET used_at = now()
WHERE token_hash = @token_hash AND used_at IS NULL AND expires_at > now()
RETURNING token_hash, task_id, user_id, outcome, expires_at, used_at;

-- name: DeleteExpiredApprovalLinks :execrows
-- Links expired for a day (until then a used or expired link is refused in words).
DELETE FROM web_approval_links WHERE expires_at <= now() - interval '1 day';
