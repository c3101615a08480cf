-- Definitions: immutable published versions, numbered from 1 per key.
CREATE TABLE definitions (
    key         text        NOT NULL,
    version     integer     NOT NULL CHECK (version > 0),
    name        text        NOT NULL DEFAULT '',
    description text        NOT NULL DEFAULT '',
    hash        text        NOT NULL,
    source      text        NOT NULL,
    program     jsonb       NOT NULL,
    created_by  text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, version)
);

-- Directory.
CREATE TABLE users (
    id         text        PRIMARY KEY,
    name       text        NOT NULL DEFAULT '',
    email      text        NOT NULL DEFAULT '',
    role       text        NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'designer', 'member')),
    groups     text[]      NOT NULL DEFAULT '{}',
    manager    text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_groups_idx ON users USING gin (groups);

-- API keys: only the SHA-256 (hex) of the key is stored.
CREATE TABLE api_keys (
    id         text        PRIMARY KEY DEFAULT gen_random_uuid()::text,
    user_id    text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    prefix     text        NOT NULL,
    hash       text        NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_user_id_idx ON api_keys (user_id);

-- Run projection; Temporal is the source of truth.
CREATE TABLE runs (
    id           text        PRIMARY KEY,
    definition   text        NOT NULL,
    version      integer     NOT NULL,
    status       text        NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
    business_key text        NOT NULL DEFAULT '',
    summary      text        NOT NULL DEFAULT '',
    started_by   text        NOT NULL DEFAULT '',
    started_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz
);
CREATE INDEX runs_started_idx ON runs (started_at DESC, id DESC);
CREATE INDEX runs_definition_started_idx ON runs (definition, started_at DESC, id DESC);
CREATE INDEX runs_status_started_idx ON runs (status, started_at DESC, id DESC);
CREATE INDEX runs_business_key_idx ON runs (definition, business_key) WHERE business_key <> '';

-- Task inbox projection. The inbox orders by due_at ascending with NULLs
-- last; COALESCE(due_at, 'infinity') expresses that order as a plain
-- ascending key so keyset pagination and the btree indexes can use it.
CREATE TABLE tasks (
    id               text        PRIMARY KEY,
    run_id           text        NOT NULL,
    step_id          text        NOT NULL,
    definition       text        NOT NULL,
    title            text        NOT NULL DEFAULT '',
    description      text        NOT NULL DEFAULT '',
    kind             text        NOT NULL DEFAULT 'task',
    status           text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed', 'cancelled')),
    assignees        text[]      NOT NULL DEFAULT '{}',
    candidate_groups text[]      NOT NULL DEFAULT '{}',
    claimed_by       text        NOT NULL DEFAULT '',
    due_at           timestamptz,
    form             jsonb       NOT NULL DEFAULT '[]',
    outcome          text        NOT NULL DEFAULT '',
    data             jsonb,
    completed_by     text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz
);
CREATE INDEX tasks_assignees_idx ON tasks USING gin (assignees);
CREATE INDEX tasks_candidate_groups_idx ON tasks USING gin (candidate_groups);
CREATE INDEX tasks_claimed_by_idx ON tasks (claimed_by);
CREATE INDEX tasks_status_order_idx ON tasks (status, (COALESCE(due_at, 'infinity'::timestamptz)), created_at, id);
CREATE INDEX tasks_order_idx ON tasks ((COALESCE(due_at, 'infinity'::timestamptz)), created_at, id);
CREATE INDEX tasks_definition_status_idx ON tasks (definition, status);
CREATE INDEX tasks_run_id_idx ON tasks (run_id);
