package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/internal/secrets"
	"github.com/handoffhq/handoff/internal/smtptest"
	"github.com/handoffhq/handoff/internal/webhook"
	"github.com/handoffhq/handoff/postgres"
)

// laptopOrder assigns a task to alice, emails HR and an address, then opens a task for
// the HR group.
const laptopOrder = `key: laptop-order
name: Laptop order
summary: "Laptop for {{ inputs.employee }}"
time_zone: Europe/Paris
inputs:
  - id: employee
    type: text
    required: true
roles:
  it: { user: alice }
  hr: { group: hr }
steps:
  - id: order
    title: "Order a laptop for {{ inputs.employee }}"
    assignee: it
    due: 2 days
  - id: announce
    kind: notify
    to: [hr]
    addresses: [ops@example.com]
    subject: "{{ inputs.employee }} is equipped"
    message: "The laptop for {{ inputs.employee }} is ordered."
  - id: check
    title: "Check the laptop for {{ inputs.employee }}"
    assignee: hr
`

// TestNotifyEmail: assignment emails carry the task link; a notify step's email reaches
// group members and literal addresses; a group task emails the group's members; nothing
// is sent twice.
func TestNotifyEmail(t *testing.T) {
	mail := smtptest.Start(t)
	s := newStack(t, func(c *Config) {
		c.SMTPAddr, c.SMTPFrom, c.PublicURL = mail.Addr, "flows@example.com", "http://handoff.test"
	})
	ctx := context.Background()
	_, err := s.main.DB.UpsertUser(ctx, postgres.User{ID: "alice", Name: "Alice", Role: "member",
		Email: "alice@example.com", Groups: []string{"hr"}})
	require.NoError(t, err)
	s.do("dana", "POST", "/v1/definitions", laptopOrder).must(t, http.StatusCreated)

	run := s.do("admin", "POST", "/v1/runs", map[string]any{
		"definition": "laptop-order", "inputs": map[string]any{"employee": "Jane"},
	}).must(t, http.StatusCreated)
	runID := run["id"].(string)
	taskID := run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)

	first := mail.WaitFor(t, 1, 20*time.Second)[0]
	require.Equal(t, []string{"alice@example.com"}, first.To)
	require.Equal(t, "Task for you: Order a laptop for Jane", first.Header("Subject"))
	body := first.Text()
	require.Contains(t, body, "Link:  http://handoff.test/tasks/"+taskID, "the link is the task's page, not an API URL")
	require.Contains(t, body, "Run:   Laptop for Jane ("+runID+")")
	require.Contains(t, body, "Due:   ")
	require.Contains(t, body, "(Europe/Paris)\n", "the due time is in the definition's time zone")

	s.do("alice", "POST", "/v1/tasks/"+taskID+"/complete", map[string]any{"data": map[string]any{}}).must(t, http.StatusOK)
	msgs := mail.WaitFor(t, 4, 20*time.Second)
	var got []string
	for _, m := range msgs[1:] {
		got = append(got, m.To[0]+" | "+m.Header("Subject"))
	}
	slices.Sort(got)
	require.Equal(t, []string{
		"alice@example.com | Jane is equipped",
		"alice@example.com | Task for you: Check the laptop for Jane",
		"ops@example.com | Jane is equipped",
	}, got)

	// Finish the run (no run is left for the next test's worker); completing sends nothing.
	check := s.do("alice", "GET", "/v1/tasks?assignee=me", nil).must(t, http.StatusOK)["tasks"].([]any)
	require.Len(t, check, 1)
	checkID := check[0].(map[string]any)["id"].(string)
	s.do("alice", "POST", "/v1/tasks/"+checkID+"/claim", nil).must(t, http.StatusOK)
	done := s.do("alice", "POST", "/v1/tasks/"+checkID+"/complete", map[string]any{"data": map[string]any{}}).must(t, http.StatusOK)
	require.Equal(t, "completed", done["run"].(map[string]any)["status"])

	// Every delivery is recorded once and delivered; nothing more arrives (the claim
	// tells alice nothing new).
	eventually(t, func() bool {
		items, err := s.main.DB.ListOutbox(ctx, postgres.OutboxFilter{Kind: postgres.OutboxEmail})
		require.NoError(t, err)
		return len(items) == 4 && !slices.ContainsFunc(items, func(it postgres.OutboxItem) bool { return it.DeliveredAt == nil })
	}, "four emails delivered")
	require.Len(t, mail.Messages(), 4)
}

// eventSink records the webhooks it receives and answers statuses in turn, then 200.
type eventSink struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []*http.Request
	bodies   [][]byte
}

func newEventSink(t *testing.T, statuses ...int) *eventSink {
	t.Helper()
	s := &eventSink{statuses: statuses}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.got, s.bodies = append(s.got, r), append(s.bodies, body)
		status := http.StatusNoContent
		if len(s.statuses) > 0 {
			status, s.statuses = s.statuses[0], s.statuses[1:]
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *eventSink) received() ([]*http.Request, [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got), slices.Clone(s.bodies)
}

// TestSubscriptionEvents: a subscription receives run.started, task.assigned,
// task.completed and run.completed, signed so that the Standard Webhooks reference
// library verifies them.
func TestSubscriptionEvents(t *testing.T) {
	sink := newEventSink(t, http.StatusBadGateway) // the first delivery fails and is retried
	s := newStack(t, func(c *Config) {
		c.HTTPAllow = sink.Listener.Addr().String()
		c.SecretsKey = secrets.NewKey()
	})
	created := s.do("admin", "POST", "/v1/subscriptions", map[string]any{
		"url": sink.URL + "/events", "description": "CRM",
		"events": []string{"run.started", "task.assigned", "task.completed", "run.completed"},
	}).must(t, http.StatusCreated)
	secret := created["secret"].(string)
	require.True(t, strings.HasPrefix(secret, webhook.SecretPrefix))
	shown := s.do("admin", "GET", "/v1/subscriptions/"+created["id"].(string), nil).must(t, http.StatusOK)
	require.NotContains(t, shown, "secret", "the secret is shown once")

	s.do("dana", "POST", "/v1/definitions", twoTasks).must(t, http.StatusCreated)
	run := s.do("admin", "POST", "/v1/runs", map[string]any{
		"definition": "equipment-request", "inputs": map[string]any{"employee": "Jane"},
	}).must(t, http.StatusCreated)
	runID := run["id"].(string)
	first := run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
	done := s.do("alice", "POST", "/v1/tasks/"+first+"/complete", map[string]any{
		"data": map[string]any{"laptop": "X1", "monitors": 1}}).must(t, http.StatusOK)
	second := done["run"].(map[string]any)["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
	s.do("bob", "POST", "/v1/tasks/"+second+"/complete", map[string]any{
		"data": map[string]any{"cost": 900}}).must(t, http.StatusOK)

	// run.started, 2 × task.assigned, 2 × task.completed, run.completed, plus the failed first try.
	eventually(t, func() bool { reqs, _ := sink.received(); return len(reqs) >= 7 }, "seven deliveries")
	ref, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	reqs, bodies := sink.received()
	var types []string
	ids := map[string]bool{}
	for i, r := range reqs {
		require.Equal(t, "/events", r.URL.Path)
		require.NoError(t, ref.Verify(bodies[i], r.Header), "delivery %d verifies", i)
		var ev struct {
			Type string
			Data struct{ Run, Task map[string]any }
		}
		require.NoError(t, json.Unmarshal(bodies[i], &ev))
		if ids[r.Header.Get("webhook-id")] {
			continue // the retry of the failed first delivery
		}
		ids[r.Header.Get("webhook-id")] = true
		types = append(types, ev.Type)
		switch ev.Type {
		case "run.started":
			require.Equal(t, runID, ev.Data.Run["id"])
		case "run.completed":
			require.Equal(t, runID, ev.Data.Run["id"])
			require.Equal(t, "completed", ev.Data.Run["status"])
		case "task.completed":
			require.Equal(t, "completed", ev.Data.Task["status"])
			require.Equal(t, runID, ev.Data.Task["run_id"])
		case "task.assigned":
			require.Contains(t, []any{[]any{"alice"}, []any{"bob"}}, ev.Data.Task["assignees"])
		}
	}
	slices.Sort(types)
	require.Equal(t, []string{"run.completed", "run.started", "task.assigned", "task.assigned",
		"task.completed", "task.completed"}, types)
	require.Len(t, reqs, 7, "the failed delivery was retried once; nothing else was sent twice")
}

// notifyChannels posts to a Slack-compatible webhook, then a signed generic webhook,
// then a Slack URL from a secret that answers 410 Gone.
const notifyChannels = `key: notify-channels
name: Notify channels
steps:
  - id: tell_slack
    kind: notify
    channel: slack
    url: "%[1]s/slack"
    message: "Done: {{ run.id }}"
  - id: tell_webhook
    kind: notify
    channel: webhook
    url: "%[1]s/hook"
    subject: Done
    message: "Run {{ run.id }} is done"
  - id: tell_gone
    kind: notify
    channel: slack
    url_secret: gone_hook
    message: "Nobody reads this"
    on_failure: fail
`

// TestNotifyChannels: Slack gets {"text"}; the generic webhook is signed per Standard
// Webhooks with the notify_webhook_secret; an endpoint answering 410 fails the step at
// once, and the error does not show the secret URL's path.
func TestNotifyChannels(t *testing.T) {
	sink := newEventSink(t)
	s := newStack(t, func(c *Config) {
		c.HTTPAllow = sink.Listener.Addr().String()
		c.SecretsKey = secrets.NewKey()
	})
	signing := webhook.NewSecret()
	s.do("admin", "PUT", "/v1/secrets/notify_webhook_secret", map[string]any{"value": signing}).must(t, http.StatusNoContent)
	s.do("admin", "PUT", "/v1/secrets/gone_hook", map[string]any{"value": sink.URL + "/gone/T0PSECRETPATH"}).must(t, http.StatusNoContent)
	sink.mu.Lock()
	sink.statuses = []int{http.StatusOK, http.StatusOK, http.StatusGone}
	sink.mu.Unlock()
	s.do("dana", "POST", "/v1/definitions", fmt.Sprintf(notifyChannels, sink.URL)).must(t, http.StatusCreated)

	run := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "notify-channels"}).must(t, http.StatusCreated)
	runID := run["id"].(string)
	var state map[string]any
	eventually(t, func() bool {
		state = s.do("admin", "GET", "/v1/runs/"+runID, nil).must(t, http.StatusOK)
		return state["status"] != "running"
	}, "the run ends")
	require.Equal(t, "failed", state["status"], state)
	require.Contains(t, state["error"], "410")
	require.NotContains(t, fmt.Sprint(state), "T0PSECRETPATH")

	reqs, bodies := sink.received()
	require.Len(t, reqs, 3, "410 is not retried")
	require.Equal(t, "/slack", reqs[0].URL.Path)
	require.JSONEq(t, `{"text":"Done: `+runID+`"}`, string(bodies[0]))
	require.Empty(t, reqs[0].Header.Get("webhook-signature"))

	require.Equal(t, "/hook", reqs[1].URL.Path)
	ref, err := standardwebhooks.NewWebhook(signing)
	require.NoError(t, err)
	require.NoError(t, ref.Verify(bodies[1], reqs[1].Header))
	var ev struct {
		Type string
		Data map[string]string
	}
	require.NoError(t, json.Unmarshal(bodies[1], &ev))
	require.Equal(t, "notify.message", ev.Type)
	require.Equal(t, "Run "+runID+" is done", ev.Data["message"])
	require.Equal(t, "tell_webhook", ev.Data["step_id"])
	require.Equal(t, "/gone/T0PSECRETPATH", reqs[2].URL.Path)
}
