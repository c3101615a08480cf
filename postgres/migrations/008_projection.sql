-- The projection follows the run's history whatever workflow tasks Temporal discards.
--
-- 1. The read caches of the API are gone, and with them migration 007's change feed:
--    its triggers, its functions, and the NOTIFY it added to inbox_entries_write.
DROP TRIGGER tasks_inbox_delete ON tasks;
DROP TRIGGER tasks_inbox_truncate ON tasks;
DROP TRIGGER users_directory_notify ON users;
DROP TRIGGER api_keys_directory_notify ON api_keys;
DROP FUNCTION inbox_entries_delete();
DROP FUNCTION notify_change();

-- inbox_entries_write as migration 006 wrote it.
CREATE OR REPLACE FUNCTION inbox_entries_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM inbox_entries e USING old_tasks o WHERE e.task_id = o.id;
    END IF;
    INSERT INTO inbox_entries (principal, sort_due, created_at, task_id, definition)
    SELECT p, COALESCE(n.due_at, 'infinity'::timestamptz), n.created_at, n.id, n.definition
    FROM new_tasks n, inbox_principals(n.assignees, n.candidate_groups, n.claimed_by) p
    WHERE n.status = 'open';
    RETURN NULL;
END
$$;
DROP FUNCTION inbox_notify(text[]);

-- 2. Ordered projection writes (interpreter version 3; docs/reliability.md, "Racing
--    completions"). A run's inbox writes are numbered (sync_seq) and each carries the
--    run's whole projected state. Local activities can run inside a workflow task that
--    Temporal then throws away; a write's fence says how far the history had got when
--    it was made, so a write from a discarded task that lands late, after the true one,
--    is refused.
ALTER TABLE runs
    ADD COLUMN sync_seq      bigint      NOT NULL DEFAULT 0, -- the write the row is at (0: an older run)
    ADD COLUMN sync_fence    bigint      NOT NULL DEFAULT 0, -- that write's fence: execution, history length
    ADD COLUMN sync_fence_at timestamptz NOT NULL DEFAULT 'epoch'; -- and its workflow task's start

-- The write that last changed a task, and the comment an approval was decided with.
ALTER TABLE tasks
    ADD COLUMN sync_seq bigint NOT NULL DEFAULT 0,
    ADD COLUMN comment  text   NOT NULL DEFAULT '';
-- Each write deletes the run's open tasks it does not carry (opened by a discarded one).
CREATE INDEX tasks_run_open_idx ON tasks (run_id) WHERE status = 'open';

-- A delivery queued by a write names it: its run, number and id (a random id the write
-- makes; the run's history holds the id of the one that counted). The dispatcher sends
-- such a delivery only once the run says the write is in its history, and a write
-- deletes what a discarded write at its number or later had queued. sequence orders a
-- run's events for subscribers.
ALTER TABLE outbox
    ADD COLUMN run_id     text   NOT NULL DEFAULT '',
    ADD COLUMN sync_seq   bigint NOT NULL DEFAULT 0,
    ADD COLUMN sync_write text   NOT NULL DEFAULT '',
    ADD COLUMN sequence   bigint NOT NULL DEFAULT 0;
CREATE INDEX outbox_run_sequence_idx ON outbox (run_id, sequence);
CREATE INDEX outbox_unconfirmed_idx ON outbox (run_id, sync_seq)
    WHERE delivered_at IS NULL AND sync_write <> '';
