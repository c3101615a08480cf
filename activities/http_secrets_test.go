package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/internal/secrets"
	"github.com/handoffhq/handoff/internal/testenv"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// TestHTTPCallSecrets plants secret values, resolved from the environment and from
// Postgres, and checks they reach the integration and nothing else: not the response
// (even when the integration echoes them), not the error, not the logs.
func TestHTTPCallSecrets(t *testing.T) {
	t.Parallel()
	const (
		envValue = "Bearer env-planted-7f3a9c"
		dbValue  = "db-planted-\"quoted\"/9b2e41"
	)
	ctx := context.Background()
	db, err := postgres.Open(ctx, testenv.DatabaseURL(t))
	require.NoError(t, err)
	t.Cleanup(db.Close)
	require.NoError(t, db.Migrate(ctx))
	box, err := secrets.NewBox(bytes.Repeat([]byte{3}, secrets.KeySize))
	require.NoError(t, err)
	require.NoError(t, db.PutSecret(ctx, "crm-key", box.Seal("crm-key", []byte(dbValue))))

	// The sink echoes the headers it got, in its body and its headers, or fails with them.
	other := newHTTPSink(t, "127.0.0.2:0", func(w http.ResponseWriter, r *http.Request) {})
	sink := newHTTPSink(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		echo := r.Header.Get("Authorization") + " " + r.Header.Get("X-Api-Key")
		w.Header().Set("X-Echo", echo)
		switch r.URL.Path {
		case "/fail":
			http.Error(w, "rejected credentials "+echo, http.StatusUnauthorized)
		case "/retry":
			http.Error(w, "upstream down for "+echo, http.StatusBadGateway)
		case "/away":
			http.Redirect(w, r, other.URL+"/landed", http.StatusTemporaryRedirect)
		default:
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"seen": echo, echo: "as a key", "list": []string{r.Header.Get("X-Api-Key")}})
		}
	})
	h := newHTTPEnv(t, []uint16{sink.port, other.port},
		map[string]string{"HANDOFF_SECRET_CRM_TOKEN": envValue}, db, box)
	req := func(path string) workflows.HTTPRequest {
		return workflows.HTTPRequest{RunID: "r", StepID: "s", Method: "POST", URL: sink.URL + path, Body: map[string]any{"x": 1},
			SecretHeaders:  []definitions.Header{{Name: "Authorization", Value: "crm_token"}, {Name: "X-Api-Key", Value: "crm-key"}},
			IdempotencyKey: "r/s/0"}
	}
	planted := []string{envValue, dbValue, "env-planted-7f3a9c", "9b2e41"}
	absent := func(t *testing.T, what, s string) {
		t.Helper()
		for _, p := range planted {
			require.NotContains(t, s, p, "%s holds a secret", what)
		}
	}

	res, err := h.call(t, req("/ok"))
	require.NoError(t, err)
	out, err := json.Marshal(res)
	require.NoError(t, err)
	absent(t, "the response", string(out))
	require.Contains(t, string(out), "[redacted]")

	for _, path := range []string{"/fail", "/retry"} {
		_, err = h.call(t, req(path))
		require.Error(t, err)
		absent(t, "the error", err.Error())
		require.Contains(t, err.Error(), "[redacted]", "the excerpt is kept, redacted")
	}

	_, err = h.call(t, req("/away"))
	require.NoError(t, err)

	got := sink.requests()
	require.Len(t, got, 4)
	for _, r := range got {
		require.Equal(t, envValue, r.Header.Get("Authorization"), "the env secret reached the integration")
		require.Equal(t, dbValue, r.Header.Get("X-Api-Key"), "the stored secret reached the integration")
	}
	landed := other.requests()
	require.Len(t, landed, 1, "the redirect was followed")
	require.Empty(t, landed[0].Header.Get("Authorization"), "secret headers stay behind on another origin")
	require.Empty(t, landed[0].Header.Get("X-Api-Key"))
	require.Equal(t, "r/s/0", landed[0].Header.Get("Idempotency-Key"))

	logs := h.logs.String()
	require.Contains(t, logs, "http step call", "the calls were logged")
	absent(t, "the logs", logs)
	require.False(t, strings.Contains(logs, "crm-key") && strings.Contains(logs, dbValue))
}
