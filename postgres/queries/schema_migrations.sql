-- name: MigrationLock :exec
-- Serialises concurrent Migrate calls; released when the transaction ends.
SELECT pg_advisory_xact_lock(@lock_key::bigint);

-- name: AppliedMigrations :many
SELECT version FROM schema_migrations ORDER BY version;

-- name: InsertMigration :exec
INSERT INTO schema_migrations (version, name) VALUES (@version, @name);
