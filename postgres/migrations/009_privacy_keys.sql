-- Runs are private to the people in them; API keys have a scope, an expiry and a last use.

-- The auditor role: sees every run (like an admin), changes nothing an admin alone may change.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'designer', 'member', 'auditor'));

-- API keys: scope 'api' is every route the owner's role allows; 'codec' only the codec
-- endpoints (the credential a browser's codec session holds). An expired key
-- authenticates nothing. last_used_at is written at most once a minute per key.
ALTER TABLE api_keys
    ADD COLUMN scope        text NOT NULL DEFAULT 'api' CHECK (scope IN ('api', 'codec')),
    ADD COLUMN expires_at   timestamptz,
    ADD COLUMN last_used_at timestamptz;

-- run_viewers lists, per run, the principals ('u:<user id>', 'g:<group>', as in
-- inbox_entries) who may see it besides admins and auditors: its starter, every user who
-- is or was an assignee, claimant or completer of one of its tasks, every group that is
-- or was a candidate group of one (its members see the run while they are members), and
-- the members of the viewers role of the definition version it runs. Triggers keep it
-- from every write of the projection, whoever writes; rows are never removed, so a person
-- a task was reassigned away from still sees the run.
CREATE TABLE run_viewers (
    run_id    text NOT NULL,
    principal text NOT NULL,
    PRIMARY KEY (run_id, principal)
);
CREATE INDEX run_viewers_principal_idx ON run_viewers (principal, run_id);

-- run_start_viewers: the starter of a run and the viewers role of its definition version
-- (a role named "viewers" of kind user, users or group).
CREATE FUNCTION run_start_viewers(run_definition text, run_version integer, run_started_by text)
RETURNS SETOF text LANGUAGE sql STABLE AS $$
    SELECT 'u:' || run_started_by WHERE run_started_by <> ''
    UNION
    SELECT v.p
    FROM definitions d, jsonb_array_elements(COALESCE(d.program -> 'roles', '[]'::jsonb)) r,
         LATERAL (SELECT 'u:' || (r ->> 'user') WHERE COALESCE(r ->> 'user', '') <> ''
                  UNION ALL
                  SELECT 'u:' || u FROM jsonb_array_elements_text(COALESCE(r -> 'users', '[]'::jsonb)) u
                  UNION ALL
                  SELECT 'g:' || (r ->> 'group') WHERE COALESCE(r ->> 'group', '') <> '') v (p)
    WHERE d.key = run_definition AND d.version = run_version AND r ->> 'name' = 'viewers'
$$;

-- task_viewers: the people and groups of a task, whatever its status.
CREATE FUNCTION task_viewers(assignees text[], candidate_groups text[], claimed_by text, completed_by text)
RETURNS SETOF text LANGUAGE sql IMMUTABLE AS $$
    SELECT 'u:' || a FROM unnest(assignees || claimed_by || completed_by) a WHERE a <> ''
    UNION
    SELECT 'g:' || g FROM unnest(candidate_groups) g WHERE g <> ''
$$;

CREATE FUNCTION run_viewers_runs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO run_viewers (run_id, principal)
    SELECT DISTINCT n.id, p FROM new_runs n, run_start_viewers(n.definition, n.version, n.started_by) p
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER runs_viewers_insert AFTER INSERT ON runs
    REFERENCING NEW TABLE AS new_runs
    FOR EACH STATEMENT EXECUTE FUNCTION run_viewers_runs();

CREATE FUNCTION run_viewers_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO run_viewers (run_id, principal)
    SELECT DISTINCT n.run_id, p
    FROM new_tasks n, task_viewers(n.assignees, n.candidate_groups, n.claimed_by, n.completed_by) p
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER tasks_viewers_insert AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS new_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION run_viewers_tasks();
CREATE TRIGGER tasks_viewers_update AFTER UPDATE ON tasks
    REFERENCING NEW TABLE AS new_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION run_viewers_tasks();

INSERT INTO run_viewers (run_id, principal)
SELECT DISTINCT r.id, p FROM runs r, run_start_viewers(r.definition, r.version, r.started_by) p
ON CONFLICT DO NOTHING;
INSERT INTO run_viewers (run_id, principal)
SELECT DISTINCT t.run_id, p FROM tasks t, task_viewers(t.assignees, t.candidate_groups, t.claimed_by, t.completed_by) p
ON CONFLICT DO NOTHING;

-- run_visible is THE rule of who may see a run (its inputs, data, tasks, audit, evidence,
-- events): admins and auditors see every run; any other user the runs where they or one of
-- their groups is among its run_viewers. An unknown user sees none. The API asks it for one
-- run (postgres.DB.RunVisible), filters run lists with it, and the outbox queues a
-- subscription's events only for the runs its creator may see.
CREATE FUNCTION run_visible(run text, viewer text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM users u
        WHERE u.id = viewer
          AND (u.role IN ('admin', 'auditor')
               OR EXISTS (SELECT 1 FROM run_viewers v
                          WHERE v.run_id = run
                            AND v.principal = ANY (('u:' || u.id) || ARRAY(SELECT 'g:' || g FROM unnest(u.groups) g)))))
$$;
