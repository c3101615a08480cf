package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func testDefinition(key, hash string) Definition {
	return Definition{
		Key:         key,
		Name:        "Name of " + key,
		Description: "about " + key,
		Hash:        hash,
		Source:      "key: " + key + "\n",
		Program:     json.RawMessage(`{"steps":[{"id":"a"}]}`),
		CreatedBy:   "alice",
	}
}

func TestPublishDefinition(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)

	steps := []struct {
		name        string
		key, hash   string
		wantVersion int
		wantCreated bool
	}{
		{"first version", "expense", "sha256:a", 1, true},
		{"same hash returns latest", "expense", "sha256:a", 1, false},
		{"new hash is next version", "expense", "sha256:b", 2, true},
		{"same as latest again", "expense", "sha256:b", 2, false},
		{"reverting to an older hash is a new version", "expense", "sha256:a", 3, true},
		{"other key starts at 1", "onboarding", "sha256:a", 1, true},
	}
	for _, s := range steps {
		got, created, err := db.PublishDefinition(ctx, testDefinition(s.key, s.hash))
		require.NoError(t, err, s.name)
		require.Equal(t, s.wantVersion, got.Version, s.name)
		require.Equal(t, s.wantCreated, created, s.name)
		require.Equal(t, s.hash, got.Hash, s.name)
		require.False(t, got.CreatedAt.IsZero(), s.name)
	}

	latest, err := db.LatestDefinition(ctx, "expense")
	require.NoError(t, err)
	want := testDefinition("expense", "sha256:a")
	require.Equal(t, 3, latest.Version)
	require.Equal(t, want.Name, latest.Name)
	require.Equal(t, want.Description, latest.Description)
	require.Equal(t, want.Source, latest.Source)
	require.Equal(t, want.CreatedBy, latest.CreatedBy)
	require.JSONEq(t, string(want.Program), string(latest.Program))

	v2, err := db.DefinitionVersion(ctx, "expense", 2)
	require.NoError(t, err)
	require.Equal(t, "sha256:b", v2.Hash)

	list, err := db.ListDefinitions(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "expense", list[0].Key)
	require.Equal(t, 3, list[0].Version)
	require.Equal(t, "onboarding", list[1].Key)
	require.Equal(t, 1, list[1].Version)
}

func TestDefinitionNotFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	_, _, err := db.PublishDefinition(ctx, testDefinition("expense", "sha256:a"))
	require.NoError(t, err)

	tests := []struct {
		name string
		call func() error
	}{
		{"latest of unknown key", func() error { _, err := db.LatestDefinition(ctx, "nope"); return err }},
		{"unknown version", func() error { _, err := db.DefinitionVersion(ctx, "expense", 2); return err }},
		{"version of unknown key", func() error { _, err := db.DefinitionVersion(ctx, "nope", 1); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorIs(t, tt.call(), ErrNotFound)
		})
	}

	empty := newDB(t)
	list, err := empty.ListDefinitions(ctx)
	require.NoError(t, err)
	require.Empty(t, list)
}

func TestPublishDefinitionConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)

	const n = 10
	versions := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			d, created, err := db.PublishDefinition(ctx, testDefinition("expense", fmt.Sprintf("sha256:%d", i)))
			if err == nil && !created {
				err = fmt.Errorf("publish %d: not created", i)
			}
			versions[i], errs[i] = d.Version, err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	sort.Ints(versions)
	for i, v := range versions {
		require.Equal(t, i+1, v, "versions are distinct and gapless: %v", versions)
	}
}
