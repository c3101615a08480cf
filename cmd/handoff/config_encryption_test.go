package main

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/encryption"
)

func TestEncryptionConfig(t *testing.T) {
	key := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	env := func(vars map[string]string) func(string) string { return func(n string) string { return vars[n] } }

	off := ConfigFromEnv(env(nil))
	codec, err := off.Codec()
	require.NoError(t, err)
	require.Nil(t, codec, "encryption is off by default")
	require.Equal(t, []string{"http://localhost:8233", "http://127.0.0.1:8233"}, off.CodecCORSOrigins())
	require.Empty(t, devCodecEndpoint(off), "handoff dev passes no codec endpoint without encryption")

	on := ConfigFromEnv(env(map[string]string{"HANDOFF_ENCRYPTION_KEYS": "new:" + key + ",old:" + key,
		"HANDOFF_CODEC_CORS_ORIGIN": "https://temporal.example.com/, https://ops.example.com", "HANDOFF_PUBLIC_URL": "https://handoff.example.com/"}))
	require.NoError(t, on.Validate())
	codec, err = on.Codec()
	require.NoError(t, err)
	dc, err := on.DataConverter()
	require.NoError(t, err)
	p, err := dc.ToPayload("x")
	require.NoError(t, err)
	require.Equal(t, "new", string(p.Metadata[encryption.MetadataKeyID]))
	require.NotNil(t, codec)
	require.Equal(t, []string{"https://temporal.example.com", "https://ops.example.com"}, on.CodecCORSOrigins())
	require.Equal(t, "https://handoff.example.com/codec", devCodecEndpoint(on))

	for _, bad := range []string{"nokey", "k1:" + key[:10], "k1:" + key + ",k1:" + key} {
		cfg := ConfigFromEnv(env(map[string]string{"HANDOFF_ENCRYPTION_KEYS": bad}))
		err := cfg.Validate()
		require.ErrorContains(t, err, "HANDOFF_ENCRYPTION_KEYS", bad)
		require.NotContains(t, err.Error(), key[:10], "the error shows no key material")
	}
}
