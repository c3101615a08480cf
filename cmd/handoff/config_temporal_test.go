package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// envMap is an envconfig.EnvLookup over a map, so that tests never read the machine's
// own TEMPORAL_* variables.
type envMap map[string]string

func (e envMap) Environ() []string {
	out := make([]string, 0, len(e))
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}

func (e envMap) LookupEnv(key string) (string, bool) {
	v, ok := e[key]
	return v, ok
}

func TestTemporalClientOptions(t *testing.T) {
	t.Parallel()
	profile := filepath.Join(t.TempDir(), "temporal.toml")
	require.NoError(t, os.WriteFile(profile, []byte(`
[profile.cloud]
api_key = "from-the-file"
`), 0o600))
	tests := []struct {
		name        string
		env         envMap
		tls, apiKey bool
		headers     map[string]string
		err         string
	}{
		{name: "plain: local dev server", env: envMap{}},
		{name: "an API key turns TLS on", env: envMap{"TEMPORAL_API_KEY": "k"}, tls: true, apiKey: true},
		{name: "TLS off despite an API key", env: envMap{"TEMPORAL_API_KEY": "k", "TEMPORAL_TLS": "false"}, apiKey: true},
		{name: "TLS on without a key", env: envMap{"TEMPORAL_TLS": "true"}, tls: true},
		{name: "a TOML profile", env: envMap{"TEMPORAL_CONFIG_FILE": profile, "TEMPORAL_PROFILE": "cloud"}, tls: true, apiKey: true},
		{name: "gRPC metadata", env: envMap{"TEMPORAL_GRPC_META_X_TENANT": "acme"}, headers: map[string]string{"x-tenant": "acme"}},
		{name: "an unknown profile", env: envMap{"TEMPORAL_CONFIG_FILE": profile, "TEMPORAL_PROFILE": "nope"}, err: "nope"},
		{name: "a client certificate that is missing", env: envMap{"TEMPORAL_TLS_CLIENT_CERT_PATH": "/nonexistent/cert.pem",
			"TEMPORAL_TLS_CLIENT_KEY_PATH": "/nonexistent/key.pem"}, err: "cert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["TEMPORAL_ADDRESS"] = "ignored:1"
			if _, ok := tt.env["TEMPORAL_CONFIG_FILE"]; !ok {
				tt.env["TEMPORAL_CONFIG_FILE"] = filepath.Join(t.TempDir(), "none.toml")
			}
			cfg := Config{TemporalAddress: "temporal.internal:7233", TemporalNamespace: "handoff", TemporalEnv: tt.env}
			opts, err := cfg.TemporalClientOptions()
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				require.True(t, strings.HasPrefix(err.Error(), "load the Temporal client configuration"), err.Error())
				return
			}
			require.NoError(t, err)
			require.Equal(t, "temporal.internal:7233", opts.HostPort, "Handoff's TEMPORAL_ADDRESS wins")
			require.Equal(t, "handoff", opts.Namespace)
			require.Equal(t, tt.tls, opts.ConnectionOptions.TLS != nil, "TLS")
			require.Equal(t, tt.apiKey, opts.Credentials != nil, "API key credentials")
			if tt.headers != nil {
				got, err := opts.HeadersProvider.GetHeaders(context.Background())
				require.NoError(t, err)
				require.Equal(t, tt.headers, got)
			}
		})
	}
}

func TestConfigLimits(t *testing.T) {
	t.Parallel()
	cfg := ConfigFromEnv(func(string) string { return "" })
	require.Equal(t, 256, cfg.MaxInFlight)
	require.Equal(t, 0, cfg.StickyCacheSize)
	for name, env := range map[string]map[string]string{
		"HANDOFF_MAX_INFLIGHT":      {"HANDOFF_MAX_INFLIGHT": "lots"},
		"HANDOFF_STICKY_CACHE_SIZE": {"HANDOFF_STICKY_CACHE_SIZE": "-3"},
	} {
		bad := ConfigFromEnv(func(k string) string { return env[k] })
		bad.LogLevel, bad.LogFormat = "info", "json"
		require.ErrorContains(t, bad.Validate(), name)
	}
}
