-- name: ListenInbox :exec
-- The inbox triggers (migration 007) notify the principals whose inbox changed.
LISTEN handoff_inbox;

-- name: ListenDirectory :exec
-- The users and api_keys triggers (migration 007) notify any change.
LISTEN handoff_directory;

-- name: ListenCacheSync :exec
LISTEN handoff_cache_sync;

-- name: NotifyCacheSync :exec
-- A marker in the notification stream: once the listener sees it, it has seen every
-- change committed before it was sent. Nothing waits for it to reach the disk.
SELECT set_config('synchronous_commit', 'off', true), pg_notify('handoff_cache_sync', @token::text);
