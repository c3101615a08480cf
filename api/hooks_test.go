package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	must "github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/internal/webhook"
)

// hireDefinition has one webhook trigger mapping an ATS payload to three required inputs.
const hireDefinition = `key: hire
name: New hire
inputs:
  - id: full_name
    type: text
    required: true
  - id: email
    type: email
    required: true
  - id: start_date
    type: date
    required: true
roles:
  hr: { group: hr }
triggers:
  - webhook: ats
    when: payload.event == "candidate.hired"
    inputs:
      full_name: payload.candidate.name
      email: payload.candidate.email
      start_date: payload.start_date
steps:
  - id: welcome
    kind: task
    title: "Welcome {{ inputs.full_name }}"
    assignee: hr
    form:
      - id: done
        type: boolean
`

// signed returns the Standard Webhooks headers of body signed with secret at ts.
func signed(t *testing.T, secret, id string, ts time.Time, body string) http.Header {
	t.Helper()
	key, err := webhook.ParseSecret(secret)
	must.NoError(t, err)
	h := http.Header{}
	h.Set(webhook.HeaderID, id)
	h.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(webhook.HeaderSignature, webhook.Sign(key, id, ts, []byte(body)))
	h.Set("Content-Type", "application/json")
	return h
}

// TestWebhookRefusals covers every delivery that must not start a run: each is answered
// before Temporal is needed (the test server has no Temporal client) and records nothing.
func TestWebhookRefusals(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{Secrets: testBox(t)})
	ts.publish(hireDefinition)
	created := ts.do("dana", "POST", "/v1/hooks/hire/ats/secrets", nil, nil)
	must.Equal(t, http.StatusCreated, created.status, created.raw)
	secret := created.body["secret"].(string)

	now := time.Now()
	good := `{"event": "candidate.hired", "candidate": {"name": "Jane Doe", "email": "jane@example.com"}, "start_date": "2027-01-04"}`
	forged := signed(t, webhook.NewSecret(), "msg_1", now, good)
	reserialised := signed(t, secret, "msg_1", now, strings.ReplaceAll(good, ": ", ":"))
	noID := signed(t, secret, "msg_1", now, good)
	noID.Del(webhook.HeaderID)
	bigBody := `{"pad": "` + strings.Repeat("x", 1<<20) + `"}`

	tests := []struct {
		name   string
		path   string
		body   string
		header http.Header
		status int
		field  string // a field the problem must name
	}{
		{"unknown definition", "/v1/hooks/nope/ats", good, signed(t, secret, "msg_1", now, good), 404, ""},
		{"unknown trigger", "/v1/hooks/hire/nope", good, signed(t, secret, "msg_1", now, good), 404, ""},
		{"forged", "/v1/hooks/hire/ats", good, forged, 401, ""},
		{"stale", "/v1/hooks/hire/ats", good, signed(t, secret, "msg_1", now.Add(-6*time.Minute), good), 401, ""},
		{"future", "/v1/hooks/hire/ats", good, signed(t, secret, "msg_1", now.Add(6*time.Minute), good), 401, ""},
		{"re-serialised body", "/v1/hooks/hire/ats", good, reserialised, 401, ""},
		{"no webhook-id", "/v1/hooks/hire/ats", good, noID, 401, ""},
		{"no headers", "/v1/hooks/hire/ats", good, http.Header{}, 401, ""},
		{"over 1 MiB", "/v1/hooks/hire/ats", bigBody, signed(t, secret, "msg_1", now, bigBody), 413, ""},
		{"not JSON", "/v1/hooks/hire/ats", "hired!", signed(t, secret, "msg_1", now, "hired!"), 400, ""},
		{"payload without the candidate", "/v1/hooks/hire/ats", `{"event": "candidate.hired", "start_date": "2027-01-04"}`,
			signed(t, secret, "msg_1", now, `{"event": "candidate.hired", "start_date": "2027-01-04"}`), 422, "inputs.full_name"},
		{"mapped input of the wrong shape", "/v1/hooks/hire/ats",
			`{"event": "candidate.hired", "candidate": {"name": "J", "email": "not-an-email"}, "start_date": "2027-01-04"}`,
			signed(t, secret, "msg_1", now, `{"event": "candidate.hired", "candidate": {"name": "J", "email": "not-an-email"}, "start_date": "2027-01-04"}`),
			422, "inputs.email"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := ts.do("", "POST", tc.path, tc.body, tc.header)
			fields := res.problem(t, tc.status)
			if tc.status == http.StatusUnauthorized {
				must.Equal(t, "signature invalid or stale", res.body["detail"], "a 401 says no more than this")
			}
			if tc.field != "" {
				must.Contains(t, fields, tc.field)
			}
		})
	}
	n, err := ts.db.CountWebhookDeliveries(context.Background(), "hire")
	must.NoError(t, err)
	must.Zero(t, n, "no refused delivery is recorded")

	// A payload the trigger's `when` turns down is accepted and ignored.
	other := `{"event": "candidate.rejected"}`
	res := ts.do("", "POST", "/v1/hooks/hire/ats", other, signed(t, secret, "msg_2", now, other))
	must.Equal(t, http.StatusAccepted, res.status, res.raw)
	must.Equal(t, map[string]any{"run_id": "", "duplicate": false, "ignored": true}, res.body)
}

func TestWebhookWithoutSecrets(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	ts.publish(hireDefinition)
	body := `{"event": "candidate.hired"}`
	ts.do("", "POST", "/v1/hooks/hire/ats", body, signed(t, webhook.NewSecret(), "msg_1", time.Now(), body)).
		problem(t, http.StatusUnauthorized)
	ts.do("dana", "POST", "/v1/hooks/hire/ats/secrets", nil, nil).problem(t, http.StatusServiceUnavailable)
}

func TestWebhookSecretManagement(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{Secrets: testBox(t)})
	ts.publish(hireDefinition)
	const path = "/v1/hooks/hire/ats/secrets"

	ts.do("", "POST", path, nil, nil).problem(t, http.StatusUnauthorized)
	ts.do("mallory", "POST", path, nil, nil).problem(t, http.StatusForbidden)
	ts.do("mallory", "GET", path, nil, nil).problem(t, http.StatusForbidden)
	ts.do("dana", "POST", "/v1/hooks/hire/nope/secrets", nil, nil).problem(t, http.StatusNotFound)
	ts.do("dana", "POST", "/v1/hooks/nope/ats/secrets", nil, nil).problem(t, http.StatusNotFound)

	first := ts.do("dana", "POST", path, nil, nil)
	must.Equal(t, http.StatusCreated, first.status, first.raw)
	must.True(t, strings.HasPrefix(first.body["secret"].(string), "whsec_"))
	second := ts.do("dana", "POST", path, nil, nil)
	must.Equal(t, http.StatusCreated, second.status, second.raw)
	must.NotEqual(t, first.body["secret"], second.body["secret"])
	ts.do("dana", "POST", path, nil, nil).problem(t, http.StatusConflict)

	list := ts.do("dana", "GET", path, nil, nil)
	must.Equal(t, http.StatusOK, list.status, list.raw)
	must.Len(t, list.body["secrets"], 2)
	must.NotContains(t, list.raw, first.body["secret"].(string)[len("whsec_"):], "a listing never shows a secret")
	must.NotContains(t, list.raw, "secret\":")

	stored, err := ts.db.WebhookSecrets(context.Background(), "hire", "ats")
	must.NoError(t, err)
	key, err := webhook.ParseSecret(first.body["secret"].(string))
	must.NoError(t, err)
	must.NotContains(t, string(stored[0].Ciphertext), string(key), "the store holds ciphertext only")

	id := first.body["id"].(string)
	must.Equal(t, http.StatusNoContent, ts.do("dana", "DELETE", path+"/"+id, nil, nil).status)
	ts.do("dana", "DELETE", path+"/"+id, nil, nil).problem(t, http.StatusNotFound)
	must.Equal(t, http.StatusCreated, ts.do("dana", "POST", path, nil, nil).status, "room for a new one after a delete")
}

func TestDeliveryRunID(t *testing.T) {
	t.Parallel()
	a := deliveryRunID("hire", "", "msg_1")
	must.Regexp(t, `^hire-wh-[0-9a-f]{16}$`, a)
	must.Equal(t, a, deliveryRunID("hire", "", "msg_1"), "the same delivery, the same run")
	must.NotEqual(t, a, deliveryRunID("hire", "", "msg_2"))
	must.Equal(t, "hire-C-42", deliveryRunID("hire", "C-42", "msg_1"), "a business key names the run")
	must.Equal(t, "hire-C~2042", deliveryRunID("hire", "C 42", "msg_1"), "one run per business key, whatever its characters")
}

func TestDeliveryHeaders(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("X-Event", "hired")
	h.Add("X-Event", "twice")
	h.Set("Authorization", "Bearer secret")
	h.Set("Cookie", "session=1")
	must.Equal(t, map[string]string{"x-event": "hired"}, deliveryHeaders(h))
}
