package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/postgres"
)

func TestBox(t *testing.T) {
	t.Parallel()
	key, err := ParseKey(NewKey())
	require.NoError(t, err)
	box, err := NewBox(key)
	require.NoError(t, err)

	sealed := box.Seal("TOKEN", []byte("s3cret-value"))
	require.False(t, bytes.Contains(sealed, []byte("s3cret-value")))
	require.NotEqual(t, sealed, box.Seal("TOKEN", []byte("s3cret-value")), "a fresh nonce each time")
	v, err := box.Open("TOKEN", sealed)
	require.NoError(t, err)
	require.Equal(t, "s3cret-value", string(v))

	_, err = box.Open("OTHER", sealed)
	require.Error(t, err, "the name is authenticated")
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	_, err = box.Open("TOKEN", tampered)
	require.Error(t, err)
	_, err = box.Open("TOKEN", sealed[:5])
	require.Error(t, err)

	other, err := NewBox(bytes.Repeat([]byte{7}, KeySize))
	require.NoError(t, err)
	_, err = other.Open("TOKEN", sealed)
	require.Error(t, err, "another key does not open it")
	require.NotContains(t, err.Error(), "s3cret")
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	for in, ok := range map[string]bool{
		NewKey(): true,
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA":      true, // unpadded
		"  AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n": true,
		"AAAA":        false,
		"not base64!": false,
		"":            false,
	} {
		_, err := ParseKey(in)
		require.Equal(t, ok, err == nil, "%q: %v", in, err)
	}
	_, err := NewBox(make([]byte, 16))
	require.Error(t, err)
}

func TestValidNameAndEnvName(t *testing.T) {
	t.Parallel()
	for name, ok := range map[string]bool{
		"API_TOKEN": true, "a": true, "x1_y2": true, "erp-api-key": true, "A" + string(bytes.Repeat([]byte("b"), 63)): true,
		"": false, "1abc": false, "_x": false, "A" + string(bytes.Repeat([]byte("b"), 64)): false,
	} {
		require.Equal(t, ok, ValidName(name), name)
	}
	require.Equal(t, "HANDOFF_SECRET_CRM_TOKEN2", EnvName("crm_Token2"))
	require.Equal(t, "HANDOFF_SECRET_A_B", EnvName("a-b"))
}

type mapStore map[string][]byte

func (m mapStore) Secret(_ context.Context, name string) ([]byte, error) {
	if name == "BROKEN" {
		return nil, errors.New("connection refused")
	}
	b, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("load secret %s: %w", name, postgres.ErrNotFound)
	}
	return b, nil
}

func TestResolver(t *testing.T) {
	t.Parallel()
	box, err := NewBox(bytes.Repeat([]byte{1}, KeySize))
	require.NoError(t, err)
	store := mapStore{"STORED": box.Seal("STORED", []byte("from-db")), "BOTH": box.Seal("BOTH", []byte("from-db")),
		"GARBLED": []byte("not a ciphertext at all, really")}
	env := map[string]string{"HANDOFF_SECRET_ENVONLY": "from-env", "HANDOFF_SECRET_BOTH": "env-wins"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	tests := []struct {
		name      string
		r         Resolver
		want      string
		err       error
		permanent bool
	}{
		{"ENVONLY", Resolver{LookupEnv: lookup, Store: store, Box: box}, "from-env", nil, false},
		{"STORED", Resolver{LookupEnv: lookup, Store: store, Box: box}, "from-db", nil, false},
		{"BOTH", Resolver{LookupEnv: lookup, Store: store, Box: box}, "env-wins", nil, false},
		{"MISSING", Resolver{LookupEnv: lookup, Store: store, Box: box}, "", ErrUnknown, true},
		{"bad name", Resolver{LookupEnv: lookup, Store: store, Box: box}, "", ErrUnknown, true},
		{"STORED", Resolver{LookupEnv: lookup, Store: store}, "", ErrNoKey, true},
		{"GARBLED", Resolver{Store: store, Box: box}, "", ErrUnreadable, true},
		{"STORED", Resolver{LookupEnv: lookup}, "", ErrUnknown, true},
		{"BROKEN", Resolver{Store: store, Box: box}, "", nil, false},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprintf("%d-%s", i, tc.name), func(t *testing.T) {
			v, err := tc.r.Resolve(context.Background(), tc.name)
			switch {
			case tc.want != "":
				require.NoError(t, err)
				require.Equal(t, tc.want, v)
			case tc.err != nil:
				require.ErrorIs(t, err, tc.err)
				require.Contains(t, err.Error(), tc.name)
			default:
				require.Error(t, err)
			}
			if err != nil {
				require.Equal(t, tc.permanent, Permanent(err))
				require.NotContains(t, err.Error(), "from-db")
			}
		})
	}
}
