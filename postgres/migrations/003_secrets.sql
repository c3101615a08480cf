-- Secrets referenced by name from http steps (and webhooks). Only ciphertext is stored:
-- AES-256-GCM under HANDOFF_SECRETS_KEY, nonce first, the name bound as additional data,
-- so Postgres (and its backups) never see a value.
CREATE TABLE secrets (
    name       text        PRIMARY KEY CHECK (name ~ '^[A-Za-z][A-Za-z0-9_-]{0,63}$'),
    ciphertext bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
