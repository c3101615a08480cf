package postgres

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/internal/testenv"
)

func TestMigrations(t *testing.T) {
	t.Parallel()
	ms, err := Migrations()
	require.NoError(t, err)
	require.NotEmpty(t, ms)
	// Numbers only grow; gaps are fine (each helper of a wave owns one number).
	prev := 0
	for _, m := range ms {
		require.Greater(t, m.Version, prev, "migrations are numbered in increasing order: %s", m.Name)
		prev = m.Version
	}
}

func TestMigrateConcurrentAndIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.DatabaseURL(t)

	// Several processes start at once against an empty database.
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		db := openDB(t, url)
		wg.Go(func() { errs[i] = db.Migrate(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}

	db := openDB(t, url)
	require.NoError(t, db.Migrate(ctx), "a second Migrate is a no-op")

	ms, err := Migrations()
	require.NoError(t, err)
	var applied []int
	rows, err := db.Pool().Query(ctx, "SELECT version FROM schema_migrations ORDER BY version")
	require.NoError(t, err)
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		applied = append(applied, v)
	}
	require.NoError(t, rows.Err())
	want := make([]int, 0, len(ms))
	for _, m := range ms {
		want = append(want, m.Version)
	}
	require.Equal(t, want, applied)
}
