-- Triggers: webhook signing secrets, the webhook deliveries already started, schedules.

-- Standard Webhooks secrets of one (definition, trigger). HMAC verification needs the
-- secret itself, so it cannot be hashed: only AES-256-GCM ciphertext under
-- HANDOFF_SECRETS_KEY is stored, bound to the row's id. The API keeps at most two per
-- trigger, so a sender can rotate.
CREATE TABLE webhook_secrets (
    id         text        PRIMARY KEY,
    definition text        NOT NULL,
    trigger    text        NOT NULL,
    ciphertext bytea       NOT NULL,
    created_by text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_secrets_trigger_idx ON webhook_secrets (definition, trigger, created_at);

-- One row per webhook-id whose run was started: the row is written in the same
-- transaction as the start, so it exists only once the run does, and it outlives
-- Temporal's retention so a late redelivery still finds its run.
CREATE TABLE webhook_deliveries (
    definition  text        NOT NULL,
    trigger     text        NOT NULL,
    webhook_id  text        NOT NULL,
    run_id      text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (definition, webhook_id)
);

-- Handoff's side of a Temporal Schedule (which holds the spec and state): what it runs
-- and how it was asked for, so the API can show it as it was given.
CREATE TABLE schedules (
    id         text        PRIMARY KEY,
    definition text        NOT NULL,
    version    integer     NOT NULL CHECK (version > 0),
    cron       text        NOT NULL DEFAULT '',
    every      text        NOT NULL DEFAULT '',
    time_zone  text        NOT NULL DEFAULT '',
    overlap    text        NOT NULL,
    inputs     jsonb       NOT NULL DEFAULT '{}',
    created_by text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((cron = '') <> (every = ''))
);
CREATE INDEX schedules_definition_idx ON schedules (definition);
