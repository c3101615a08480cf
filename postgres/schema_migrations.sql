-- Bookkeeping for embedded migrations. Migrate runs this before applying any
-- migration (under the migration advisory lock), so it must stay idempotent.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
