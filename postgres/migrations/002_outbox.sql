-- Outbox: emails and outbound webhooks, written in the same transaction as the
-- projection change that caused them and delivered at least once by the worker's
-- dispatcher. dedupe_key makes enqueueing idempotent (a retried activity inserts
-- nothing new); the id is the Standard Webhooks webhook-id and the email Message-ID.
CREATE TABLE outbox (
    id              text        PRIMARY KEY DEFAULT ('msg_' || replace(gen_random_uuid()::text, '-', '')),
    kind            text        NOT NULL CHECK (kind IN ('email', 'webhook')),
    payload         jsonb       NOT NULL,
    dedupe_key      text        NOT NULL UNIQUE,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text        NOT NULL DEFAULT '',
    delivered_at    timestamptz,
    -- dead_at is set when the dispatcher gives up; last_error says why.
    dead_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_pending_idx ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_dead_idx ON outbox (dead_at) WHERE dead_at IS NOT NULL;

-- Wake the dispatcher as soon as work is committed (NOTIFY is sent at commit, and
-- identical notifications of one transaction are folded into one).
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('handoff_outbox', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_notify();

-- outbox_time writes a timestamp for payloads: RFC 3339 in UTC with milliseconds,
-- whatever the session's TimeZone.
CREATE FUNCTION outbox_time(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- Outbound event subscriptions. The signing secret is stored sealed (AES-256-GCM under
-- HANDOFF_SECRETS_KEY, the subscription id bound as additional data); the API shows it once.
CREATE TABLE subscriptions (
    id          text        PRIMARY KEY,
    url         text        NOT NULL,
    events      text[]      NOT NULL,
    secret      bytea       NOT NULL,
    description text        NOT NULL DEFAULT '',
    created_by  text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    disabled    boolean     NOT NULL DEFAULT false
);
CREATE INDEX subscriptions_events_idx ON subscriptions USING gin (events) WHERE NOT disabled;
