-- The browser app (web/): its sessions, sign-ins in progress, one-time sign-in links,
-- and the notification that keeps an open inbox page current.
--
-- Only hashes (SHA-256, hex) of the random values a browser holds are stored: a copy of
-- this table signs nobody in.

-- A signed-in browser. Absolute expiry; sign-out deletes the row.
CREATE TABLE web_sessions (
    id_hash    text        PRIMARY KEY,
    user_id    text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id);
CREATE INDEX web_sessions_expires_idx ON web_sessions (expires_at);

-- An OpenID Connect sign-in between the redirect to the identity provider and its
-- callback: the state names it; the nonce and the PKCE verifier are checked at the
-- callback; it is used once.
CREATE TABLE web_sign_ins (
    state_hash text        PRIMARY KEY,
    nonce      text        NOT NULL,
    verifier   text        NOT NULL,
    next_path  text        NOT NULL DEFAULT '/',
    expires_at timestamptz NOT NULL
);

-- A one-time sign-in link (`handoff dev` prints one for the dev admin).
CREATE TABLE web_sign_in_links (
    token_hash text        PRIMARY KEY,
    user_id    text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
);

-- handoff_web_inbox names, at commit, the principals ('u:<user>', 'g:<group>', as in
-- inbox_principals of migration 006) whose open tasks changed, separated by newlines,
-- or '*' when the list would not fit a notification: an open inbox page listens and
-- re-renders its list. The triggers are the web app's own, beside the projection's,
-- so they fire whoever writes tasks, and only for a transaction that commits.
CREATE FUNCTION web_inbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    payload text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('handoff_web_inbox', '*');
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT string_agg(DISTINCT p, E'\n') INTO payload
        FROM new_tasks n, inbox_principals(n.assignees, n.candidate_groups, n.claimed_by) p
        WHERE n.status = 'open';
    ELSIF TG_OP = 'DELETE' THEN
        SELECT string_agg(DISTINCT p, E'\n') INTO payload
        FROM old_tasks o, inbox_principals(o.assignees, o.candidate_groups, o.claimed_by) p
        WHERE o.status = 'open';
    ELSE
        SELECT string_agg(DISTINCT p, E'\n') INTO payload FROM (
            SELECT p FROM old_tasks o, inbox_principals(o.assignees, o.candidate_groups, o.claimed_by) p
            WHERE o.status = 'open'
            UNION
            SELECT p FROM new_tasks n, inbox_principals(n.assignees, n.candidate_groups, n.claimed_by) p
            WHERE n.status = 'open'
        ) changed;
    END IF;
    IF payload IS NULL OR payload = '' THEN
        RETURN NULL;
    END IF;
    IF octet_length(payload) > 7900 THEN
        payload := '*';
    END IF;
    PERFORM pg_notify('handoff_web_inbox', payload);
    RETURN NULL;
END
$$;

CREATE TRIGGER tasks_web_inbox_insert AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS new_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION web_inbox_notify();
CREATE TRIGGER tasks_web_inbox_update AFTER UPDATE ON tasks
    REFERENCING OLD TABLE AS old_tasks NEW TABLE AS new_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION web_inbox_notify();
CREATE TRIGGER tasks_web_inbox_delete AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS old_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION web_inbox_notify();
CREATE TRIGGER tasks_web_inbox_truncate AFTER TRUNCATE ON tasks
    FOR EACH STATEMENT EXECUTE FUNCTION web_inbox_notify();
