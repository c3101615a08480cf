package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

var (
	//go:embed migrations/*.sql
	migrationFS embed.FS

	//go:embed schema_migrations.sql
	schemaMigrationsSQL string
)

// migrationLockKey is the pg_advisory_xact_lock key that serialises Migrate
// across processes ("handoff" in ASCII).
const migrationLockKey int64 = 0x68616e646f6666

// Migration is one embedded schema migration.
type Migration struct {
	Version int
	Name    string // file name, e.g. "001_init.sql"
	SQL     string
}

// Migrations returns the embedded migrations ordered by version.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", e.Name())
		}
		b, err := migrationFS.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", ms[i-1].Name, ms[i].Name, ms[i].Version)
		}
	}
	return ms, nil
}

// Migrate applies the embedded migrations that have not been applied yet,
// each in its own transaction together with its schema_migrations row. Every
// transaction first takes a transaction-scoped advisory lock, so processes
// starting at once apply each migration exactly once. Idempotent.
func (db *DB) Migrate(ctx context.Context) error {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		err := db.inTx(ctx, func(tx pgx.Tx) error {
			if err := db.q.MigrationLock(ctx, tx, migrationLockKey); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, schemaMigrationsSQL); err != nil {
				return err
			}
			applied, err := db.q.AppliedMigrations(ctx, tx)
			if err != nil {
				return err
			}
			if slices.Contains(applied, int32(m.Version)) {
				return nil
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			return db.q.InsertMigration(ctx, tx, dbsqlc.InsertMigrationParams{Version: int32(m.Version), Name: m.Name})
		})
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
	}
	return nil
}
