package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/handoffhq/handoff/internal/secrets"
)

// hookDefinition starts an onboarding from an ATS webhook, by delivery (ats) or one run
// per candidate (ats-keyed, with a business key).
const hookDefinition = `key: %s
name: Hire from the ATS
summary: "Onboarding {{ inputs.full_name }}"
inputs:
  - id: full_name
    type: text
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
      start_date: payload.start_date
  - webhook: ats-keyed
    inputs:
      full_name: payload.candidate.name
      start_date: payload.start_date
    business_key: payload.candidate.id
steps:
  - id: welcome
    kind: task
    title: "Welcome {{ inputs.full_name }}"
    assignee: hr
    form:
      - id: done
        type: boolean
`

// withSecretsKey gives the stack a fresh HANDOFF_SECRETS_KEY.
func withSecretsKey(c *Config) { c.SecretsKey = secrets.NewKey() }

// hire is an ATS payload for candidate id.
func hire(id, name string) []byte {
	return []byte(fmt.Sprintf(`{"event": "candidate.hired", "candidate": {"id": %q, "name": %q}, "start_date": "2027-01-04"}`, id, name))
}

// sender signs deliveries with the Standard Webhooks reference library.
type sender struct {
	t      *testing.T
	url    string
	secret string
}

type delivery struct {
	status int
	body   map[string]any
	raw    string
}

// send delivers body as webhook id, signed at ts. It reports errors instead of failing, so
// that it may run on many goroutines.
func (s sender) send(id string, ts time.Time, body []byte) (delivery, error) {
	wh, err := standardwebhooks.NewWebhook(s.secret)
	if err != nil {
		return delivery{}, err
	}
	sig, err := wh.Sign(id, ts, body)
	if err != nil {
		return delivery{}, err
	}
	return post(s.url, body, map[string]string{
		standardwebhooks.HeaderWebhookID: id, standardwebhooks.HeaderWebhookTimestamp: strconv.FormatInt(ts.Unix(), 10),
		standardwebhooks.HeaderWebhookSignature: sig, "Content-Type": "application/json"})
}

// deliver is send now, failing the test on a transport error.
func (s sender) deliver(id string, body []byte) delivery {
	s.t.Helper()
	d, err := s.send(id, time.Now(), body)
	require.NoError(s.t, err)
	return d
}

func post(url string, body []byte, headers map[string]string) (delivery, error) {
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		return delivery{}, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return delivery{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return delivery{}, err
	}
	d := delivery{status: res.StatusCode, raw: string(raw)}
	if len(raw) > 0 && raw[0] == '{' {
		err = json.Unmarshal(raw, &d.body)
	}
	return d, err
}

// newSecret creates a webhook secret for a trigger as dana and returns its id and value.
func newSecret(t *testing.T, s *stack, key, trigger string) (id, secret string) {
	t.Helper()
	res := s.do("dana", "POST", "/v1/hooks/"+key+"/"+trigger+"/secrets", nil).must(t, http.StatusCreated)
	return res["id"].(string), res["secret"].(string)
}

// countRuns counts the definition's runs in Temporal's visibility store.
func countRuns(t *testing.T, s *stack, key string) int {
	t.Helper()
	n := 0
	var token []byte
	for {
		res, err := s.main.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("HandoffDefinition='%s'", key), NextPageToken: token})
		require.NoError(t, err)
		n += len(res.GetExecutions())
		if token = res.GetNextPageToken(); len(token) == 0 {
			return n
		}
	}
}

// waitRunVisible waits until visibility lists the run id of the definition.
func waitRunVisible(t *testing.T, s *stack, key, id string) {
	t.Helper()
	eventually(t, func() bool {
		res, err := s.main.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("HandoffDefinition='%s' AND WorkflowId='%s'", key, id)})
		return err == nil && len(res.GetExecutions()) > 0
	}, "run "+id+" is visible")
}

func deliveries(t *testing.T, s *stack, key string) int {
	t.Helper()
	n, err := s.main.DB.CountWebhookDeliveries(context.Background(), key)
	require.NoError(t, err)
	return n
}

// TestWebhookConcurrentDuplicates sends one delivery 100 times at once: one run starts,
// every answer names it, and forged, stale, future-dated and re-serialised deliveries
// start nothing.
func TestWebhookConcurrentDuplicates(t *testing.T) {
	s := newStack(t, withSecretsKey)
	const key = "hook-dup"
	s.do("dana", "POST", "/v1/definitions", fmt.Sprintf(hookDefinition, key)).must(t, http.StatusCreated)
	_, secret := newSecret(t, s, key, "ats")
	snd := sender{t: t, url: s.url + "/v1/hooks/" + key + "/ats", secret: secret}
	body := hire("c-1", "Jane Doe")

	const n = 100
	answers, errs := make([]delivery, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { answers[i], errs[i] = snd.send("msg_dup_1", time.Now(), body) })
	}
	wg.Wait()
	runID := ""
	fresh := 0
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, http.StatusAccepted, answers[i].status, answers[i].raw)
		id := answers[i].body["run_id"].(string)
		require.NotEmpty(t, id)
		if runID == "" {
			runID = id
		}
		require.Equal(t, runID, id, "every duplicate names the same run")
		if answers[i].body["duplicate"] == false {
			fresh++
		}
	}
	require.Equal(t, 1, fresh, "one delivery started the run, the others were duplicates")
	require.Regexp(t, "^"+key+`-wh-[0-9a-f]{16}$`, runID)
	waitRunVisible(t, s, key, runID)
	require.Equal(t, 1, countRuns(t, s, key))
	require.Equal(t, 1, deliveries(t, s, key))

	again := snd.deliver("msg_dup_1", body)
	require.Equal(t, http.StatusAccepted, again.status, again.raw)
	require.Equal(t, map[string]any{"run_id": runID, "duplicate": true, "ignored": false}, again.body)

	require.Contains(t, s.logs.String(), "run_id="+runID, "the request log names the run a webhook started")
	run := s.do("audrey", "GET", "/v1/runs/"+runID, nil).must(t, http.StatusOK)
	require.Equal(t, "webhook:ats", run["started_by"])
	require.Equal(t, "Jane Doe", run["inputs"].(map[string]any)["full_name"])

	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	forger, err := standardwebhooks.NewWebhook(newWhsec(t))
	require.NoError(t, err)
	sign := func(w *standardwebhooks.Webhook, id string, ts time.Time, b []byte) string {
		sig, err := w.Sign(id, ts, b)
		require.NoError(t, err)
		return sig
	}
	now := time.Now()
	reserialised := []byte(`{"event":"candidate.hired","candidate":{"id":"c-9","name":"Eve"},"start_date":"2027-01-04"}`)
	refused := []struct {
		name string
		ts   time.Time
		sig  string
		body []byte
	}{
		{"forged", now, sign(forger, "msg_bad_1", now, hire("c-9", "Eve")), hire("c-9", "Eve")},
		{"stale", now.Add(-6 * time.Minute), sign(wh, "msg_bad_2", now.Add(-6*time.Minute), hire("c-9", "Eve")), hire("c-9", "Eve")},
		{"future", now.Add(6 * time.Minute), sign(wh, "msg_bad_3", now.Add(6*time.Minute), hire("c-9", "Eve")), hire("c-9", "Eve")},
		{"re-serialised", now, sign(wh, "msg_bad_4", now, hire("c-9", "Eve")), reserialised},
	}
	for i, tc := range refused {
		d, err := post(snd.url, tc.body, map[string]string{
			"webhook-id": fmt.Sprintf("msg_bad_%d", i+1), "webhook-timestamp": strconv.FormatInt(tc.ts.Unix(), 10),
			"webhook-signature": tc.sig})
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, d.status, "%s: %s", tc.name, d.raw)
		require.Equal(t, "signature invalid or stale", d.body["detail"], tc.name)
	}
	unmapped := snd.deliver("msg_bad_5", []byte(`{"event": "candidate.hired", "start_date": "2027-01-04"}`))
	require.Equal(t, http.StatusUnprocessableEntity, unmapped.status, unmapped.raw)
	require.Contains(t, unmapped.raw, `"field":"inputs.full_name"`)

	// A delivery that does start a run proves visibility has caught up with the refusals.
	later := snd.deliver("msg_ok_2", hire("c-2", "John Roe"))
	require.Equal(t, http.StatusAccepted, later.status, later.raw)
	waitRunVisible(t, s, key, later.body["run_id"].(string))
	require.Equal(t, 2, countRuns(t, s, key), "the refused deliveries started nothing")
	require.Equal(t, 2, deliveries(t, s, key))
	require.NotContains(t, s.logs.String(), secret[len("whsec_"):], "the secret is never logged")
}

// newWhsec is a secret nobody registered.
func newWhsec(t *testing.T) string {
	t.Helper()
	return "whsec_" + secrets.NewKey()
}

// TestWebhookSecretRotation accepts the old and the new secret while both exist, and only
// the new one after the old is deleted.
func TestWebhookSecretRotation(t *testing.T) {
	s := newStack(t, withSecretsKey)
	const key = "hook-rotate"
	s.do("dana", "POST", "/v1/definitions", fmt.Sprintf(hookDefinition, key)).must(t, http.StatusCreated)
	oldID, oldSecret := newSecret(t, s, key, "ats")
	url := s.url + "/v1/hooks/" + key + "/ats"
	oldSender := sender{t: t, url: url, secret: oldSecret}

	require.Equal(t, http.StatusAccepted, oldSender.deliver("msg_r1", hire("c-1", "A")).status)
	_, newSecretValue := newSecret(t, s, key, "ats")
	s.do("dana", "POST", "/v1/hooks/"+key+"/ats/secrets", nil).problem(t, http.StatusConflict)
	newSender := sender{t: t, url: url, secret: newSecretValue}
	require.Equal(t, http.StatusAccepted, oldSender.deliver("msg_r2", hire("c-2", "B")).status, "old secret during rotation")
	require.Equal(t, http.StatusAccepted, newSender.deliver("msg_r3", hire("c-3", "C")).status, "new secret during rotation")

	s.do("dana", "DELETE", "/v1/hooks/"+key+"/ats/secrets/"+oldID, nil).must(t, http.StatusNoContent)
	require.Equal(t, http.StatusUnauthorized, oldSender.deliver("msg_r4", hire("c-4", "D")).status, "old secret after rotation")
	last := newSender.deliver("msg_r5", hire("c-5", "E"))
	require.Equal(t, http.StatusAccepted, last.status, last.raw)
	waitRunVisible(t, s, key, last.body["run_id"].(string))
	require.Equal(t, 4, countRuns(t, s, key))
	require.Equal(t, 4, deliveries(t, s, key))
}

// TestWebhookBusinessKey starts one run per candidate: another delivery for the same
// candidate is a 409 naming the active run; a redelivery is a duplicate.
func TestWebhookBusinessKey(t *testing.T) {
	s := newStack(t, withSecretsKey)
	const key = "hook-keyed"
	s.do("dana", "POST", "/v1/definitions", fmt.Sprintf(hookDefinition, key)).must(t, http.StatusCreated)
	_, secret := newSecret(t, s, key, "ats-keyed")
	snd := sender{t: t, url: s.url + "/v1/hooks/" + key + "/ats-keyed", secret: secret}

	first := snd.deliver("msg_k1", hire("C-42", "Jane Doe"))
	require.Equal(t, http.StatusAccepted, first.status, first.raw)
	require.Equal(t, key+"-C-42", first.body["run_id"])

	other := snd.deliver("msg_k2", hire("C-42", "Jane Doe"))
	require.Equal(t, http.StatusConflict, other.status, other.raw)
	require.Equal(t, key+"-C-42", other.body["run_id"], "the 409 names the active run")

	again := snd.deliver("msg_k1", hire("C-42", "Jane Doe"))
	require.Equal(t, http.StatusAccepted, again.status, again.raw)
	require.Equal(t, true, again.body["duplicate"])
	require.Equal(t, 1, deliveries(t, s, key), "the refused delivery is not recorded")

	run := s.do("audrey", "GET", "/v1/runs/"+key+"-C-42", nil).must(t, http.StatusOK)
	require.Equal(t, "C-42", run["business_key"])
}

// TestWebhookLostRecord: when a run started but its delivery record was lost (the API
// died between the two), a redelivery finds the run instead of starting another or
// refusing it as someone else's.
func TestWebhookLostRecord(t *testing.T) {
	s := newStack(t, withSecretsKey)
	const key = "hook-lost"
	s.do("dana", "POST", "/v1/definitions", fmt.Sprintf(hookDefinition, key)).must(t, http.StatusCreated)
	_, plain := newSecret(t, s, key, "ats")
	_, keyed := newSecret(t, s, key, "ats-keyed")
	byDelivery := sender{t: t, url: s.url + "/v1/hooks/" + key + "/ats", secret: plain}
	byKey := sender{t: t, url: s.url + "/v1/hooks/" + key + "/ats-keyed", secret: keyed}

	first := byDelivery.deliver("msg_l1", hire("c-1", "A"))
	require.Equal(t, http.StatusAccepted, first.status, first.raw)
	second := byKey.deliver("msg_l2", hire("C-7", "B"))
	require.Equal(t, http.StatusAccepted, second.status, second.raw)

	_, err := s.main.DB.Pool().Exec(context.Background(), "DELETE FROM webhook_deliveries")
	require.NoError(t, err)

	again := byDelivery.deliver("msg_l1", hire("c-1", "A"))
	require.Equal(t, http.StatusAccepted, again.status, again.raw)
	require.Equal(t, first.body["run_id"], again.body["run_id"])
	againKeyed := byKey.deliver("msg_l2", hire("C-7", "B"))
	require.Equal(t, http.StatusAccepted, againKeyed.status, againKeyed.raw)
	require.Equal(t, second.body["run_id"], againKeyed.body["run_id"])

	waitRunVisible(t, s, key, first.body["run_id"].(string))
	waitRunVisible(t, s, key, second.body["run_id"].(string))
	require.Equal(t, 2, countRuns(t, s, key), "no second run")
	require.Equal(t, 2, deliveries(t, s, key), "the records are written again")
}
