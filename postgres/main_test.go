package postgres

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Run(m) }

// newDB opens a migrated store on a fresh, empty database.
func newDB(t *testing.T) *DB {
	t.Helper()
	db := openDB(t, testenv.DatabaseURL(t))
	require.NoError(t, db.Migrate(context.Background()))
	return db
}

func openDB(t *testing.T, url string) *DB {
	t.Helper()
	db, err := Open(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(db.Close)
	return db
}
