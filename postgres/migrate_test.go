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
	require.Equal(t, 1, ms[0].Version, ms[0].Name)
	for i := 1; i < len(ms); i++ {
		// Each helper of a wave owns a number, so a gap can exist until every one has landed.
		require.Greater(t, ms[i].Version, ms[i-1].Version, "migrations are numbered in increasing order: %s", ms[i].Name)
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
