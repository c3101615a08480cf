package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWebConfig(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	c := ConfigFromEnv(env())
	require.NoError(t, c.Validate())
	w := c.Web(false)
	require.Equal(t, 12*time.Hour, w.SessionLifetime)
	require.Equal(t, "email", w.OIDC.Claim)
	require.Empty(t, w.OIDC.Issuer, "no single sign-on by default")
	require.False(t, w.Dev)

	c = ConfigFromEnv(env("HANDOFF_OIDC_ISSUER", "https://sso.example.com/realms/x", "HANDOFF_OIDC_CLIENT_ID", "handoff",
		"HANDOFF_OIDC_CLAIM", "preferred_username", "HANDOFF_SESSION_LIFETIME", "30m"))
	require.NoError(t, c.Validate())
	w = c.Web(true)
	require.Equal(t, "https://sso.example.com/realms/x", w.OIDC.Issuer)
	require.Equal(t, "preferred_username", w.OIDC.Claim)
	require.Equal(t, 30*time.Minute, w.SessionLifetime)
	require.True(t, w.Dev)

	for _, tt := range []struct {
		env  []string
		want string
	}{
		{[]string{"HANDOFF_SESSION_LIFETIME", "forever"}, "HANDOFF_SESSION_LIFETIME"},
		{[]string{"HANDOFF_SESSION_LIFETIME", "10s"}, "HANDOFF_SESSION_LIFETIME"},
		{[]string{"HANDOFF_OIDC_ISSUER", "sso.example.com"}, "HANDOFF_OIDC_ISSUER"},
		{[]string{"HANDOFF_OIDC_ISSUER", "https://sso.example.com"}, "HANDOFF_OIDC_CLIENT_ID"},
		{[]string{"HANDOFF_OIDC_ISSUER", "https://sso.example.com", "HANDOFF_OIDC_CLIENT_ID", "h",
			"HANDOFF_OIDC_REDIRECT_URL", "/signin/callback"}, "HANDOFF_OIDC_REDIRECT_URL"},
	} {
		require.ErrorContains(t, ConfigFromEnv(env(tt.env...)).Validate(), tt.want, "%v", tt.env)
	}
}
