package main

import (
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
)

// TemporalClientOptions are the options every Temporal client of this process dials
// with: Temporal's environment configuration (envconfig reads TEMPORAL_API_KEY,
// TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH and the rest, TEMPORAL_GRPC_META_*, and a
// TOML profile named by TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE), with Handoff's
// address and namespace on top. An API key turns TLS on unless TEMPORAL_TLS=false.
func (c Config) TemporalClientOptions() (client.Options, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{EnvLookup: c.TemporalEnv})
	if err != nil {
		return client.Options{}, fmt.Errorf("load the Temporal client configuration (TEMPORAL_* variables): %w", err)
	}
	opts.HostPort, opts.Namespace = c.TemporalAddress, c.TemporalNamespace
	return opts, nil
}
