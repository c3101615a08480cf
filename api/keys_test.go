package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	must "github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/postgres"
)

// TestAPIKeyLifecycle: keys are created with an expiry, listed with their last use and
// revoked; a revoked or expired key gets 401 at once.
func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	ts := withAdmin(newTestServer(t, Config{}))
	for name, tc := range map[string]struct {
		body  map[string]any
		field string
	}{
		"bad duration":    {map[string]any{"user": "mallory", "expires_in": "3 days"}, "expires_in"},
		"negative":        {map[string]any{"user": "mallory", "expires_in": "-1h"}, "expires_in"},
		"past":            {map[string]any{"user": "mallory", "expires_at": "2020-01-01T00:00:00Z"}, "expires_at"},
		"not a time":      {map[string]any{"user": "mallory", "expires_at": "tomorrow"}, "expires_at"},
		"both":            {map[string]any{"user": "mallory", "expires_in": "1h", "expires_at": "2099-01-01T00:00:00Z"}, "expires_at"},
		"unknown user":    {map[string]any{"user": "ghost"}, "user"},
		"no user":         {map[string]any{}, "user"},
		"expires_in type": {map[string]any{"user": "mallory", "expires_in": 3600}, "expires_in"},
	} {
		must.Contains(t, ts.do("ada", "POST", "/v1/api-keys", tc.body, nil).problem(t, http.StatusUnprocessableEntity), tc.field, name)
	}

	made := ts.do("ada", "POST", "/v1/api-keys", map[string]any{"user": "mallory", "expires_in": "720h"}, nil)
	must.Equal(t, http.StatusCreated, made.status, made.raw)
	expires, err := time.Parse(time.RFC3339, made.body["expires_at"].(string))
	must.NoError(t, err)
	must.WithinDuration(t, time.Now().Add(720*time.Hour), expires, time.Minute)
	must.Equal(t, "api", made.body["scope"])
	ts.keys["mallory2"] = made.body["key"].(string)
	must.Equal(t, http.StatusOK, ts.do("mallory2", "GET", "/v1/definitions", nil, nil).status)

	list := ts.do("ada", "GET", "/v1/api-keys?user=mallory", nil, nil)
	must.Equal(t, http.StatusOK, list.status, list.raw)
	keys := list.body["api_keys"].([]any)
	must.Len(t, keys, 2, "mallory's two keys, no one else's")
	for _, k := range keys {
		m := k.(map[string]any)
		must.Equal(t, "mallory", m["user"])
		must.NotContains(t, m, "key", "a listed key never shows the key")
		if m["id"] == made.body["id"] {
			must.NotEmpty(t, m["last_used_at"], "the use just made is listed")
		}
	}
	must.Len(t, ts.do("ada", "GET", "/v1/api-keys", nil, nil).body["api_keys"], 4, "everyone's keys")
	ts.do("mallory", "GET", "/v1/api-keys?user=mallory", nil, nil).problem(t, http.StatusForbidden)
	ts.do("mallory", "DELETE", "/v1/api-keys/"+made.body["id"].(string), nil, nil).problem(t, http.StatusForbidden)

	must.Equal(t, http.StatusNoContent, ts.do("ada", "DELETE", "/v1/api-keys/"+made.body["id"].(string), nil, nil).status)
	ts.do("mallory2", "GET", "/v1/definitions", nil, nil).problem(t, http.StatusUnauthorized)
	ts.do("ada", "DELETE", "/v1/api-keys/"+made.body["id"].(string), nil, nil).problem(t, http.StatusNotFound)
	must.Equal(t, http.StatusOK, ts.do("mallory", "GET", "/v1/definitions", nil, nil).status, "her other key still works")

	// A key past its expiry authenticates nothing.
	key, hash := NewKey()
	soon := time.Now().Add(300 * time.Millisecond)
	_, err = ts.db.IssueAPIKey(context.Background(), postgres.APIKey{UserID: "mallory", Prefix: key[:7], ExpiresAt: &soon}, hash)
	must.NoError(t, err)
	ts.keys["brief"] = key
	must.Equal(t, http.StatusOK, ts.do("brief", "GET", "/v1/definitions", nil, nil).status)
	must.Eventually(t, func() bool {
		return ts.do("brief", "GET", "/v1/definitions", nil, nil).status == http.StatusUnauthorized
	},
		5*time.Second, 50*time.Millisecond, "expired keys get 401")
}
