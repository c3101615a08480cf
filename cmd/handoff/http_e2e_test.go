package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"

	"github.com/handoffhq/handoff/internal/secrets"
)

// plantedSecret must reach the integration and appear nowhere else. Letters, digits and
// dashes only, so JSON would not escape it out of sight.
const plantedSecret = "planted-secret-4c1d9e77b2"

// crmSync is a definition with one http step that falls back to a fix-it task for ops.
const crmSync = `key: crm-sync
name: CRM sync
inputs:
  - id: employee
    type: text
    required: true
roles:
  ops: { user: alice }
steps:
  - id: push
    kind: http
    title: "Push {{ inputs.employee }} to the CRM"
    method: POST
    url: "%s/people"
    headers:
      X-Handoff-Run: "{{ run.id }}"
    secret_headers:
      Authorization: crm-token
    body:
      name: "{{ inputs.employee }}"
    save:
      crm_id: response.body.id
    retry: {attempts: 2, interval: 1 second}
    on_failure: {fix: ops}
`

// crmSink is a loopback CRM that fails until it recovers, echoing the credentials it
// receives so that any leak of them would show.
type crmSink struct {
	*httptest.Server
	mu        sync.Mutex
	recovered bool
	keys      []string // Idempotency-Key of every request
	auths     []string // Authorization of every request
}

func newCRMSink(t *testing.T) *crmSink {
	t.Helper()
	s := &crmSink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		auth := r.Header.Get("Authorization")
		s.keys = append(s.keys, r.Header.Get("Idempotency-Key"))
		s.auths = append(s.auths, auth)
		if !s.recovered {
			http.Error(w, "CRM database unavailable (credentials "+auth+")", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Token-Seen", auth)
		_ = json.NewEncoder(w).Encode(map[string]any{"id": "crm-42", "token_seen": auth})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *crmSink) recover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recovered = true
}

func (s *crmSink) seen() (keys, auths []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.keys...), append([]string(nil), s.auths...)
}

// TestHTTPStepRetryFixItAndSecrets: an integration answering 500 is retried, then opens
// a fix-it task; after the sink recovers, "retry" completes the run. Every attempt
// carried the same Idempotency-Key and the secret, and the secret appears nowhere in the
// run's history, the API's answers or the logs.
func TestHTTPStepRetryFixItAndSecrets(t *testing.T) {
	sink := newCRMSink(t)
	s := newStack(t, func(c *Config) {
		c.HTTPAllow = sink.Listener.Addr().String() // 127.0.0.1:port
		c.SecretsKey = secrets.NewKey()
	})
	var answers []string
	do := func(user, method, path string, body any) response {
		r := s.do(user, method, path, body)
		answers = append(answers, r.Raw)
		return r
	}

	res := do("admin", "PUT", "/v1/secrets/crm-token", map[string]any{"value": plantedSecret})
	require.Equal(t, http.StatusNoContent, res.Status, res.Raw)
	require.Empty(t, res.Raw)
	do("dana", "POST", "/v1/definitions", fmt.Sprintf(crmSync, sink.URL)).must(t, http.StatusCreated)
	run := do("admin", "POST", "/v1/runs", map[string]any{"definition": "crm-sync",
		"inputs": map[string]any{"employee": "Jane Doe"}}).must(t, http.StatusCreated)
	runID := run["id"].(string)

	// Two attempts fail, then the fix-it task opens for ops (alice), showing the error.
	var fix map[string]any
	eventually(t, func() bool {
		for _, task := range do("alice", "GET", "/v1/tasks?assignee=me&status=open", nil).must(t, http.StatusOK)["tasks"].([]any) {
			if task.(map[string]any)["run_id"] == runID {
				fix = task.(map[string]any)
				return true
			}
		}
		return false
	}, "the fix-it task opens")
	keys, _ := sink.seen()
	require.Len(t, keys, 2, "retry: attempts 2")
	fix = do("alice", "GET", "/v1/tasks/"+fix["id"].(string), nil).must(t, http.StatusOK)
	require.Equal(t, "fixit", fix["kind"])
	require.Contains(t, fix["description"], "500")
	require.Contains(t, fix["description"], "CRM database unavailable")
	require.Contains(t, fix["description"], "[redacted]", "the error shows, the credentials do not")

	sink.recover()
	do("alice", "POST", "/v1/tasks/"+fix["id"].(string)+"/complete",
		map[string]any{"data": map[string]any{}, "outcome": "retry"}).must(t, http.StatusOK)
	var final map[string]any
	eventually(t, func() bool {
		final = do("admin", "GET", "/v1/runs/"+runID, nil).must(t, http.StatusOK)
		return final["status"] != "running"
	}, "the run ends")
	require.Equal(t, "completed", final["status"], final)
	push := stepByID(t, final, "push")
	require.Equal(t, "crm-42", push["data"].(map[string]any)["crm_id"])

	keys, auths := sink.seen()
	require.Len(t, keys, 3)
	require.NotEmpty(t, keys[0])
	for i := range keys {
		require.Equal(t, keys[0], keys[i], "one Idempotency-Key across every attempt")
		require.Equal(t, plantedSecret, auths[i], "the secret reached the integration")
	}
	do("admin", "GET", "/v1/secrets", nil).must(t, http.StatusOK)
	do("admin", "GET", "/v1/tasks/"+fix["id"].(string), nil).must(t, http.StatusOK)

	history := historyBytes(t, s, runID)
	require.Contains(t, string(history), "crm-42", "the scan sees payloads")
	require.Contains(t, string(history), "[redacted]", "the echoed credentials were redacted")
	require.NotContains(t, string(history), plantedSecret, "the run's history holds the secret")
	for _, a := range answers {
		require.NotContains(t, a, plantedSecret, "an API answer holds the secret")
	}
	logs := s.logs.String()
	require.Contains(t, logs, "http step call", "the calls were logged")
	require.NotContains(t, logs, plantedSecret, "the logs hold the secret")
}

// historyBytes is the run's whole history, each event JSON-marshalled and, so that no
// payload hides behind base64, in its raw protobuf encoding too.
func historyBytes(t *testing.T, s *stack, runID string) []byte {
	t.Helper()
	it := s.main.Temporal.GetWorkflowHistory(context.Background(), runID, "", false,
		enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out []byte
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		j, err := json.Marshal(ev)
		require.NoError(t, err)
		raw, err := proto.Marshal(ev)
		require.NoError(t, err)
		out = append(append(append(out, j...), raw...), '\n')
	}
	require.NotEmpty(t, out)
	return out
}

func stepByID(t *testing.T, run map[string]any, id string) map[string]any {
	t.Helper()
	for _, st := range run["steps"].([]any) {
		if m := st.(map[string]any); m["id"] == id {
			return m
		}
	}
	t.Fatalf("run has no step %s: %v", id, run["steps"])
	return nil
}

// TestSecretsAPI: admins store, list and delete secrets; values are never echoed; bad
// names and values get 422 naming the field; a server without a key answers 503.
func TestSecretsAPI(t *testing.T) {
	s := newStack(t, func(c *Config) { c.SecretsKey = secrets.NewKey() })
	put := func(user, name string, body any) response { return s.do(user, "PUT", "/v1/secrets/"+name, body) }

	for _, who := range []string{"mallory", "dana"} {
		put(who, "TOKEN", map[string]any{"value": "v"}).problem(t, http.StatusForbidden)
		s.do(who, "GET", "/v1/secrets", nil).problem(t, http.StatusForbidden)
		s.do(who, "DELETE", "/v1/secrets/TOKEN", nil).problem(t, http.StatusForbidden)
	}
	put("", "TOKEN", map[string]any{"value": "v"}).problem(t, http.StatusUnauthorized)

	bad := []struct {
		name  string
		body  any
		field string
	}{
		{"1starts-with-digit", map[string]any{"value": "v"}, "name"},
		{"has.dot", map[string]any{"value": "v"}, "name"},
		{strings.Repeat("a", 65), map[string]any{"value": "v"}, "name"},
		{"TOKEN", map[string]any{}, "value"},
		{"TOKEN", map[string]any{"value": ""}, "value"},
		{"TOKEN", map[string]any{"value": strings.Repeat("x", 16<<10+1)}, "value"},
		{"TOKEN", map[string]any{"value": 5}, "value"},
		{"TOKEN", map[string]any{"value": "v", "extra": 1}, "extra"},
	}
	for _, tc := range bad {
		fields := put("admin", tc.name, tc.body).problem(t, http.StatusUnprocessableEntity)
		require.Contains(t, fields, tc.field, "%s %v", tc.name, tc.body)
	}
	put("admin", "TOKEN", "{not json").problem(t, http.StatusBadRequest)

	res := put("admin", "TOKEN", map[string]any{"value": plantedSecret})
	require.Equal(t, http.StatusNoContent, res.Status, res.Raw)
	require.Equal(t, http.StatusNoContent, put("admin", "other_one", map[string]any{"value": "x"}).Status)
	require.Equal(t, http.StatusNoContent, put("admin", "TOKEN", map[string]any{"value": plantedSecret + "2"}).Status, "put replaces")
	list := s.do("admin", "GET", "/v1/secrets", nil)
	body := list.must(t, http.StatusOK)
	require.NotContains(t, list.Raw, plantedSecret)
	got := body["secrets"].([]any)
	require.Len(t, got, 2)
	require.Equal(t, "TOKEN", got[0].(map[string]any)["name"])
	require.NotEmpty(t, got[0].(map[string]any)["updated_at"])

	stored, err := s.main.DB.Secret(context.Background(), "TOKEN")
	require.NoError(t, err)
	require.NotContains(t, string(stored), plantedSecret, "stored sealed")

	require.Equal(t, http.StatusNoContent, s.do("admin", "DELETE", "/v1/secrets/TOKEN", nil).Status)
	s.do("admin", "DELETE", "/v1/secrets/TOKEN", nil).problem(t, http.StatusNotFound)
	fields := s.do("admin", "DELETE", "/v1/secrets/bad.name", nil).problem(t, http.StatusUnprocessableEntity)
	require.Contains(t, fields, "name")
	require.NotContains(t, s.logs.String(), plantedSecret)

	keyless := newStack(t)
	keyless.do("admin", "PUT", "/v1/secrets/TOKEN", map[string]any{"value": "v"}).problem(t, http.StatusServiceUnavailable)
}

// TestHTTPStepBlockedByGuard: without an allowlist a loopback integration is refused at
// dial time; the step fails permanently (no retries) and the sink sees nothing.
func TestHTTPStepBlockedByGuard(t *testing.T) {
	sink := newCRMSink(t)
	s := newStack(t, func(c *Config) { c.SecretsKey = secrets.NewKey() })
	require.Equal(t, http.StatusNoContent, s.do("admin", "PUT", "/v1/secrets/crm-token",
		map[string]any{"value": plantedSecret}).Status)
	src := strings.Replace(fmt.Sprintf(crmSync, sink.URL), "on_failure: {fix: ops}", "on_failure: fail", 1)
	s.do("dana", "POST", "/v1/definitions", src).must(t, http.StatusCreated)
	runID := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "crm-sync",
		"inputs": map[string]any{"employee": "Jo"}}).must(t, http.StatusCreated)["id"].(string)
	var final map[string]any
	eventually(t, func() bool {
		final = s.do("admin", "GET", "/v1/runs/"+runID, nil).must(t, http.StatusOK)
		return final["status"] != "running"
	}, "the run ends")
	require.Equal(t, "failed", final["status"])
	raw, _ := json.Marshal(final)
	require.Contains(t, string(raw), "SSRF")
	keys, _ := sink.seen()
	require.Empty(t, keys, "nothing reached the sink")
	_, port, _ := net.SplitHostPort(sink.Listener.Addr().String())
	require.Contains(t, string(raw), port)
}
