package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigSMTP(t *testing.T) {
	t.Parallel()
	env := map[string]string{"HANDOFF_SMTP_ADDR": "mail.example.com:587", "HANDOFF_SMTP_USERNAME": "u",
		"HANDOFF_SMTP_PASSWORD": "p", "HANDOFF_PUBLIC_URL": "https://handoff.example.com"}
	cfg := ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, cfg.Validate())
	o := cfg.Outbox()
	require.Equal(t, "mail.example.com:587", o.SMTP.Addr)
	require.Equal(t, "handoff@localhost", o.SMTP.From, "the default sender")
	require.Equal(t, "u", o.SMTP.Username)
	require.Equal(t, "https://handoff.example.com", o.PublicURL)

	tests := []struct {
		name, variable, value, want string
	}{
		{"address without port", "HANDOFF_SMTP_ADDR", "mail.example.com", "HANDOFF_SMTP_ADDR"},
		{"sender not an address", "HANDOFF_SMTP_FROM", "handoff", "HANDOFF_SMTP_FROM"},
		{"public url not absolute", "HANDOFF_PUBLIC_URL", "handoff.example.com", "HANDOFF_PUBLIC_URL"},
		{"public url not http", "HANDOFF_PUBLIC_URL", "ftp://handoff.example.com", "HANDOFF_PUBLIC_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ConfigFromEnv(func(k string) string {
				if k == tt.variable {
					return tt.value
				}
				return ""
			})
			require.ErrorContains(t, cfg.Validate(), tt.want)
		})
	}
}
