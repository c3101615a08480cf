-- Change notifications for the API's read caches.
--
-- The API keeps the inbox pages and the API keys it has read in memory, and drops them
-- when Postgres says they changed: these triggers NOTIFY at commit, on
--   handoff_inbox      the principals ('u:<user>', 'g:<group>') whose inbox changed,
--                      separated by newlines, or '*' for every inbox;
--   handoff_directory  users or API keys changed (no payload).
-- They fire in the writing transaction whoever writes (the projection, `handoff users`,
-- a manual fix in psql), and a notification is delivered only if that transaction
-- commits. Postgres delivers notifications in commit order on every channel, which is
-- what lets an API instance wait until it has seen every change committed before a
-- moment (handoff_cache_sync, sent by the API itself).

-- inbox_notify sends the changed principals, or '*' when the list would not fit in a
-- notification's 8000-byte payload.
CREATE FUNCTION inbox_notify(principals text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    payload text := array_to_string(principals, E'\n');
BEGIN
    IF payload IS NULL OR payload = '' THEN
        RETURN;
    END IF;
    IF octet_length(payload) > 7900 THEN
        payload := '*';
    END IF;
    PERFORM pg_notify('handoff_inbox', payload);
END
$$;

-- inbox_entries_write (migration 006) now also names the inboxes whose entries it
-- removed or added: the old task rows' and the new ones'.
CREATE OR REPLACE FUNCTION inbox_entries_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    removed text[];
    added   text[];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        WITH gone AS (
            DELETE FROM inbox_entries e USING old_tasks o WHERE e.task_id = o.id RETURNING e.principal
        )
        SELECT array_agg(DISTINCT principal) INTO removed FROM gone;
    END IF;
    WITH made AS (
        INSERT INTO inbox_entries (principal, sort_due, created_at, task_id, definition)
        SELECT p, COALESCE(n.due_at, 'infinity'::timestamptz), n.created_at, n.id, n.definition
        FROM new_tasks n, inbox_principals(n.assignees, n.candidate_groups, n.claimed_by) p
        WHERE n.status = 'open'
        RETURNING principal
    )
    SELECT array_agg(DISTINCT principal) INTO added FROM made;
    PERFORM inbox_notify(ARRAY(SELECT DISTINCT unnest(removed || added) ORDER BY 1));
    RETURN NULL;
END
$$;

-- Deleting tasks deletes their entries through the foreign key; say which inboxes.
CREATE FUNCTION inbox_entries_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM inbox_notify(ARRAY(
        SELECT DISTINCT p FROM old_tasks o, inbox_principals(o.assignees, o.candidate_groups, o.claimed_by) p
        WHERE o.status = 'open' ORDER BY 1));
    RETURN NULL;
END
$$;
CREATE TRIGGER tasks_inbox_delete AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS old_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION inbox_entries_delete();

-- notify_change notifies the channel TG_ARGV[0] with the payload TG_ARGV[1], for the
-- statements whose rows need not be named: emptying tasks, any directory change.
CREATE FUNCTION notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], TG_ARGV[1]);
    RETURN NULL;
END
$$;
CREATE TRIGGER tasks_inbox_truncate AFTER TRUNCATE ON tasks
    FOR EACH STATEMENT EXECUTE FUNCTION notify_change('handoff_inbox', '*');
CREATE TRIGGER users_directory_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION notify_change('handoff_directory', '');
CREATE TRIGGER api_keys_directory_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION notify_change('handoff_directory', '');
