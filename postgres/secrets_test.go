package postgres

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSecrets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)

	_, err := db.Secret(ctx, "API_TOKEN")
	require.ErrorIs(t, err, ErrNotFound)
	require.ErrorIs(t, db.DeleteSecret(ctx, "API_TOKEN"), ErrNotFound)

	require.NoError(t, db.PutSecret(ctx, "API_TOKEN", []byte{1, 2, 3}))
	require.NoError(t, db.PutSecret(ctx, "Another_1", []byte{9}))
	got, err := db.Secret(ctx, "API_TOKEN")
	require.NoError(t, err)
	require.Equal(t, []byte{1, 2, 3}, got)

	list, err := db.ListSecretNames(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "API_TOKEN", list[0].Name)
	require.Equal(t, "Another_1", list[1].Name)
	first := list[0]

	require.NoError(t, db.PutSecret(ctx, "API_TOKEN", []byte{4}))
	got, err = db.Secret(ctx, "API_TOKEN")
	require.NoError(t, err)
	require.Equal(t, []byte{4}, got, "put replaces the value")
	list, err = db.ListSecretNames(ctx)
	require.NoError(t, err)
	require.Equal(t, first.CreatedAt, list[0].CreatedAt)
	require.False(t, list[0].UpdatedAt.Before(first.UpdatedAt))

	for _, bad := range []string{"", "1abc", "-dash", "with space", "dot.ted"} {
		require.Error(t, db.PutSecret(ctx, bad, []byte{1}), "name %q is checked by the table", bad)
	}

	require.NoError(t, db.DeleteSecret(ctx, "API_TOKEN"))
	_, err = db.Secret(ctx, "API_TOKEN")
	require.ErrorIs(t, err, ErrNotFound)
}
