-- The inbox index: one row per open task and per principal whose inbox shows it.
--
-- GET /v1/tasks?assignee=me&status=open is the hottest read of the product. Served from
-- tasks alone it must collect every open task of the user and of each of their groups
-- (a busy group queue holds thousands), then sort them to return the first page. Here
-- each principal's open tasks sit in their inbox order in one btree, so a page reads at
-- most one page of rows per principal and merges them: the cost depends on the page
-- size and the number of groups, not on how many tasks are open.
--
-- A principal is 'u:<user id>' or 'g:<group>'. An unclaimed task is in the inbox of each
-- assignee and each candidate group; a claimed task only in its claimer's. The rows are
-- kept by a trigger on tasks, so every writer (the projection, a manual fix in psql)
-- keeps them true, in the same transaction.
CREATE TABLE inbox_entries (
    principal  text        NOT NULL,
    sort_due   timestamptz NOT NULL, -- COALESCE(due_at, 'infinity'): the tasks order
    created_at timestamptz NOT NULL,
    task_id    text        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    definition text        NOT NULL,
    PRIMARY KEY (principal, sort_due, created_at, task_id) INCLUDE (definition)
);
CREATE INDEX inbox_entries_task_idx ON inbox_entries (task_id);

-- inbox_principals lists who sees a task in their inbox while it is open.
CREATE FUNCTION inbox_principals(assignees text[], candidate_groups text[], claimed_by text)
RETURNS SETOF text LANGUAGE sql IMMUTABLE AS $$
    SELECT 'u:' || claimed_by WHERE claimed_by <> ''
    UNION
    SELECT 'u:' || a FROM unnest(assignees) a WHERE claimed_by = '' AND a <> ''
    UNION
    SELECT 'g:' || g FROM unnest(candidate_groups) g WHERE claimed_by = '' AND g <> ''
$$;

-- The triggers run once per statement over its transition tables, so a bulk insert or
-- update costs one statement here, not one per row. An update replaces the entries of the
-- rows it touched (old_tasks exists only for updates; PL/pgSQL plans the DELETE only
-- when it runs).
CREATE FUNCTION inbox_entries_write() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER tasks_inbox_insert AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS new_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION inbox_entries_write();
CREATE TRIGGER tasks_inbox_update AFTER UPDATE ON tasks
    REFERENCING OLD TABLE AS old_tasks NEW TABLE AS new_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION inbox_entries_write();
-- Deleting a task deletes its entries through the foreign key.

INSERT INTO inbox_entries (principal, sort_due, created_at, task_id, definition)
SELECT p, COALESCE(t.due_at, 'infinity'::timestamptz), t.created_at, t.id, t.definition
FROM tasks t, inbox_principals(t.assignees, t.candidate_groups, t.claimed_by) p
WHERE t.status = 'open';
