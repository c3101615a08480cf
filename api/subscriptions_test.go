package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	must "github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/internal/safehttp"
	"github.com/handoffhq/handoff/internal/webhook"
	"github.com/handoffhq/handoff/outbox"
	"github.com/handoffhq/handoff/postgres"
)

// withAdmin adds the admin "ada" to a test server.
func withAdmin(ts *testServer) *testServer {
	ts.t.Helper()
	ctx := context.Background()
	_, err := ts.db.CreateUser(ctx, postgres.User{ID: "ada", Name: "Ada", Role: roleAdmin, Groups: []string{}})
	must.NoError(ts.t, err)
	key, hash := NewKey()
	_, err = ts.db.CreateAPIKey(ctx, "ada", key[:7], hash)
	must.NoError(ts.t, err)
	ts.keys["ada"] = key
	return ts
}

func TestSubscriptionBadInput(t *testing.T) {
	t.Parallel()
	allow, err := safehttp.ParseAllow("127.0.0.1:9000")
	must.NoError(t, err)
	ts := withAdmin(newTestServer(t, Config{Secrets: testBox(t), HTTP: safehttp.Config{Allow: allow}}))
	events := []string{"run.completed"}
	tests := []struct {
		name  string
		body  any
		field string
		hint  string // in the message
	}{
		{"no url", map[string]any{"events": events}, "url", ""},
		{"not http", map[string]any{"url": "ftp://x.example/", "events": events}, "url", ""},
		{"relative url", map[string]any{"url": "/hooks", "events": events}, "url", ""},
		{"credentials in url", map[string]any{"url": "https://u:p@x.example/", "events": events}, "url", ""},
		{"url too long", map[string]any{"url": "https://x.example/" + strings.Repeat("a", 2048), "events": events}, "url", ""},
		{"no events", map[string]any{"url": "https://x.example/"}, "events", ""},
		{"empty events", map[string]any{"url": "https://x.example/", "events": []string{}}, "events", ""},
		{"unknown event", map[string]any{"url": "https://x.example/", "events": []string{"run.completed", "run.exploded"}}, "events[1]", ""},
		{"event twice", map[string]any{"url": "https://x.example/", "events": []string{"task.overdue", "task.overdue"}}, "events[1]", ""},
		{"long description", map[string]any{"url": "https://x.example/", "events": events,
			"description": strings.Repeat("x", 501)}, "description", ""},
		{"unknown field", map[string]any{"url": "https://x.example/", "events": events, "secret": "mine"}, "secret", ""},
		{"events not a list", map[string]any{"url": "https://x.example/", "events": "run.completed"}, "events", ""},
		// The SSRF guard's rules, at creation: nothing the guard would block at delivery.
		{"loopback url", map[string]any{"url": "http://127.0.0.1:8080/hook", "events": events}, "url", "adding 127.0.0.1:8080 to HANDOFF_HTTP_ALLOW"},
		{"private url", map[string]any{"url": "https://10.1.2.3/hook", "events": events}, "url", "adding 10.1.2.3 to HANDOFF_HTTP_ALLOW"},
		{"metadata url", map[string]any{"url": "http://169.254.169.254/latest", "events": events}, "url", "HANDOFF_HTTP_ALLOW"},
		{"name resolving to loopback", map[string]any{"url": "http://localhost/hook", "events": events}, "url", "HANDOFF_HTTP_ALLOW"},
		{"numeric host", map[string]any{"url": "http://2130706433/hook", "events": events}, "url", "canonical IP address"},
		{"allowlisted address, other port", map[string]any{"url": "http://127.0.0.1:9001/hook", "events": events}, "url", "adding 127.0.0.1:9001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := ts.do("ada", "POST", "/v1/subscriptions", tt.body, nil).problem(t, http.StatusUnprocessableEntity)
			must.Contains(t, fields, tt.field)
			must.Contains(t, fields[tt.field], tt.hint, "the hint says how to allow it")
		})
	}
	created := ts.do("ada", "POST", "/v1/subscriptions", map[string]any{"url": "http://127.0.0.1:9000/hook", "events": events}, nil)
	must.Equal(t, http.StatusCreated, created.status, "the allowlisted destination: %s", created.raw)
	must.NoError(t, ts.db.DeleteSubscription(context.Background(), created.body["id"].(string)))
	list := ts.do("ada", "GET", "/v1/subscriptions", nil, nil)
	must.Equal(t, http.StatusOK, list.status)
	must.Empty(t, list.body["subscriptions"], "nothing half-written")
}

func TestSubscriptionAuthorization(t *testing.T) {
	t.Parallel()
	ts := withAdmin(newTestServer(t, Config{Secrets: testBox(t)}))
	good := map[string]any{"url": "https://crm.example.com/hooks", "events": []string{"run.completed"}}
	created := ts.do("ada", "POST", "/v1/subscriptions", good, nil)
	must.Equal(t, http.StatusCreated, created.status, created.raw)
	path := "/v1/subscriptions/" + created.body["id"].(string)
	for _, req := range []struct{ method, path string }{
		{"POST", "/v1/subscriptions"}, {"GET", "/v1/subscriptions"}, {"GET", path}, {"DELETE", path},
	} {
		for _, user := range []string{"dana", "mallory"} {
			ts.do(user, req.method, req.path, good, nil).problem(t, http.StatusForbidden)
		}
		ts.do("", req.method, req.path, good, nil).problem(t, http.StatusUnauthorized)
	}
}

// TestSubscriptionLifecycle: the secret is shown once and sealed for this subscription;
// list, get and delete; a deleted subscription is 404.
func TestSubscriptionLifecycle(t *testing.T) {
	t.Parallel()
	box := testBox(t)
	ts := withAdmin(newTestServer(t, Config{Secrets: box}))
	created := ts.do("ada", "POST", "/v1/subscriptions", map[string]any{
		"url": "https://crm.example.com/hooks", "events": []string{"run.completed", "task.assigned"}, "description": "CRM",
	}, nil)
	must.Equal(t, http.StatusCreated, created.status, created.raw)
	id := created.body["id"].(string)
	must.Regexp(t, `^sub_[0-9a-f]{32}$`, id)
	must.Equal(t, "/v1/subscriptions/"+id, created.header.Get("Location"))
	must.Equal(t, "ada", created.body["created_by"])
	secret := created.body["secret"].(string)
	_, err := webhook.ParseSecret(secret)
	must.NoError(t, err)

	stored, err := ts.db.Subscription(context.Background(), id)
	must.NoError(t, err)
	must.NotContains(t, string(stored.SealedSecret), strings.TrimPrefix(secret, webhook.SecretPrefix), "stored sealed")
	opened, err := box.Open(outbox.SecretName(id), stored.SealedSecret)
	must.NoError(t, err)
	must.Equal(t, secret, string(opened))

	got := ts.do("ada", "GET", "/v1/subscriptions/"+id, nil, nil)
	must.Equal(t, http.StatusOK, got.status)
	must.NotContains(t, got.body, "secret", "shown once")
	must.Equal(t, []any{"run.completed", "task.assigned"}, got.body["events"])
	list := ts.do("ada", "GET", "/v1/subscriptions", nil, nil)
	must.Len(t, list.body["subscriptions"], 1)
	must.NotContains(t, list.raw, secret)

	must.Equal(t, http.StatusNoContent, ts.do("ada", "DELETE", "/v1/subscriptions/"+id, nil, nil).status)
	ts.do("ada", "GET", "/v1/subscriptions/"+id, nil, nil).problem(t, http.StatusNotFound)
	ts.do("ada", "DELETE", "/v1/subscriptions/"+id, nil, nil).problem(t, http.StatusNotFound)
}

// TestSubscriptionNeedsSecretsKey: without a key to seal signing secrets the request is
// refused rather than a secret stored in the clear.
func TestSubscriptionNeedsSecretsKey(t *testing.T) {
	t.Parallel()
	ts := withAdmin(newTestServer(t, Config{}))
	ts.do("ada", "POST", "/v1/subscriptions", map[string]any{
		"url": "https://x.example/", "events": []string{"run.started"},
	}, nil).problem(t, http.StatusServiceUnavailable)
}
