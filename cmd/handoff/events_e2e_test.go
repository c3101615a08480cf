package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/internal/safehttp"
	"github.com/handoffhq/handoff/internal/secrets"
	"github.com/handoffhq/handoff/outbox"
	"github.com/handoffhq/handoff/postgres"
)

// eventsFlow is an approval by alice, then a task for carol that goes back and forth.
const eventsFlow = `key: events-flow
name: Events flow
roles:
  approver: {user: alice}
  doer: {user: carol}
steps:
  - id: approve
    kind: approval
    assignee: approver
  - id: work
    assignee: doer
`

// failsFirst fails at its first step, an http call nothing answers, before any task.
const failsFirst = `key: fails-first
name: Fails first
steps:
  - id: call
    kind: http
    url: "http://%s/nothing"
    retry: {attempts: 1}
    on_failure: fail
`

// event is a delivered subscription event.
type event struct {
	Type     string `json:"type"`
	Sequence int64  `json:"sequence"`
	Data     struct {
		Run    map[string]any `json:"run"`
		Task   map[string]any `json:"task"`
		StepID string         `json:"step_id"`
		Error  string         `json:"error"`
	} `json:"data"`
}

// TestEventShapes checks what subscribers are told (issue 13, item 8): a task
// reassigned A→B→A is assigned three times; every event carries its run's sequence, in
// the order things happened; an approval's task.completed carries the comment; a run
// that fails before opening a task still started; step.failed names the step, in
// words without Temporal's internals.
func TestEventShapes(t *testing.T) {
	sink := newEventSink(t)
	s := newStack(t, func(c *Config) {
		c.HTTPAllow = sink.Listener.Addr().String()
		c.SecretsKey = secrets.NewKey()
	})
	s.addUser(userWithGroups("carol"))
	s.do("admin", "POST", "/v1/subscriptions", map[string]any{"url": sink.URL + "/events", "events": outbox.EventTypes()}).
		must(t, http.StatusCreated)
	s.do("dana", "POST", "/v1/definitions", eventsFlow).must(t, http.StatusCreated)

	run := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "events-flow"}).must(t, http.StatusCreated)
	runID := run["id"].(string)
	approve := run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
	done := s.do("alice", "POST", "/v1/tasks/"+approve+"/complete", map[string]any{"outcome": "approved",
		"comment": "fine by me"}).must(t, http.StatusOK)
	work := done["run"].(map[string]any)["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
	s.do("carol", "POST", "/v1/tasks/"+work+"/reassign", map[string]any{"to": "bob"}).must(t, http.StatusOK)
	s.do("bob", "POST", "/v1/tasks/"+work+"/reassign", map[string]any{"to": "carol"}).must(t, http.StatusOK)
	s.do("carol", "POST", "/v1/tasks/"+work+"/complete", map[string]any{}).must(t, http.StatusOK)

	want := []string{"run.started", "task.assigned", "task.completed", "task.assigned", "task.assigned",
		"task.assigned", "task.completed", "run.completed"}
	events := eventsOf(t, sink, runID, len(want))
	var types, assigned []string
	for i, e := range events {
		types = append(types, e.Type)
		require.Equal(t, runID, e.Data.Run["id"])
		if i > 0 {
			require.Greater(t, e.Sequence, events[i-1].Sequence, "sequence orders the run's events")
		}
		switch e.Type {
		case "task.assigned":
			if e.Data.Task["id"] == work {
				assigned = append(assigned, fmt.Sprint(e.Data.Task["assignees"]))
			}
		case "task.completed":
			if e.Data.Task["id"] == approve {
				require.Equal(t, "fine by me", e.Data.Task["comment"], "an approval's event carries its comment")
				require.Equal(t, "approved", e.Data.Task["outcome"])
			} else {
				require.NotContains(t, e.Data.Task, "comment")
			}
		}
	}
	require.Equal(t, want, types)
	require.Equal(t, []string{"[carol]", "[bob]", "[carol]"}, assigned, "every assignment is told, the return to carol too")

	// A run that fails at once: started, then step.failed naming the step.
	s.do("dana", "POST", "/v1/definitions", fmt.Sprintf(failsFirst, sink.Listener.Addr().String())).must(t, http.StatusCreated)
	sink.Close() // nothing answers the http step any more (the dispatcher's deliveries retry)
	failed := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "fails-first"}).must(t, http.StatusCreated)
	require.Equal(t, "failed", failed["status"])
	var bodies []event
	eventually(t, func() bool {
		bodies = queuedEvents(t, s, failed["id"].(string))
		return len(bodies) == 2
	}, "two events queued for the failed run")
	require.Equal(t, "run.started", bodies[0].Type)
	require.Equal(t, "step.failed", bodies[1].Type)
	require.Equal(t, "call", bodies[1].Data.StepID)
	require.NotEmpty(t, bodies[1].Data.Error)
	for _, leak := range []string{"activity error", "scheduledEventID", "identity", "retryable", "(type:"} {
		require.NotContains(t, bodies[1].Data.Error, leak, "the error is in words: %s", bodies[1].Data.Error)
	}
}

// eventsOf waits for n events of the run at the sink and returns them in sequence order.
func eventsOf(t *testing.T, sink *eventSink, runID string, n int) []event {
	t.Helper()
	var out []event
	eventually(t, func() bool {
		out = nil
		_, bodies := sink.received()
		for _, b := range bodies {
			var e event
			require.NoError(t, json.Unmarshal(b, &e))
			if e.Data.Run["id"] == runID {
				out = append(out, e)
			}
		}
		return len(out) >= n
	}, fmt.Sprintf("%d events of %s", n, runID))
	slices.SortFunc(out, func(a, b event) int { return int(a.Sequence - b.Sequence) })
	return out
}

// queuedEvents reads the run's webhook deliveries from the outbox, in sequence order.
func queuedEvents(t *testing.T, s *stack, runID string) []event {
	t.Helper()
	items, err := s.main.DB.ListOutbox(context.Background(), postgres.OutboxFilter{Kind: postgres.OutboxWebhook, Limit: 1000})
	require.NoError(t, err)
	var out []event
	for _, it := range items {
		var w outbox.Webhook
		require.NoError(t, json.Unmarshal(it.Payload, &w))
		var e event
		require.NoError(t, json.Unmarshal(w.Body, &e))
		if e.Data.Run["id"] == runID {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b event) int { return int(a.Sequence - b.Sequence) })
	return out
}

// TestConfirmedDeliveries: what a run's inbox write queued is sent once the run's
// history holds the write; a delivery naming a write the history does not hold (one
// Temporal discarded) is deleted, never sent. It also measures what the confirmation
// costs: the time from a delivery's queueing to its sending, with and without asking
// the run (go test -run TestConfirmedDeliveries -v ./cmd/handoff).
func TestConfirmedDeliveries(t *testing.T) {
	sink := newEventSink(t)
	s := newStack(t, func(c *Config) {
		c.HTTPAllow = sink.Listener.Addr().String()
		c.SecretsKey = secrets.NewKey()
	})
	ctx := context.Background()
	s.main.outbox.Stop() // the test runs the dispatchers itself
	s.do("admin", "POST", "/v1/subscriptions", map[string]any{"url": sink.URL + "/events", "events": []string{"run.started"}}).
		must(t, http.StatusCreated)
	s.do("dana", "POST", "/v1/definitions", twoTasks).must(t, http.StatusCreated)

	latency := map[bool][]time.Duration{}
	for round := range 20 {
		for _, confirm := range []bool{false, true} {
			cfg := outbox.Config{PollInterval: 5 * time.Millisecond}
			if confirm {
				cfg.InHistory = outbox.Confirmed(s.main.Temporal)
			}
			d := outbox.New(cfg, s.main.DB, safeClientFor(t, s), s.main.secrets, s.main.Logger)
			d.Start()
			before := len(deliveredStarts(t, s))
			s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "equipment-request",
				"inputs": map[string]any{"employee": fmt.Sprint("E", round)}}).must(t, http.StatusCreated)
			eventually(t, func() bool { return len(deliveredStarts(t, s)) > before }, "the run's start is delivered")
			d.Stop()
			items := deliveredStarts(t, s)
			it := items[len(items)-1]
			require.NotEmpty(t, it.SyncWrite, "the delivery names its write")
			latency[confirm] = append(latency[confirm], it.DeliveredAt.Sub(it.CreatedAt))
		}
	}
	for _, confirm := range []bool{false, true} {
		slices.Sort(latency[confirm])
		l := latency[confirm]
		t.Logf("queued → sent, confirmed by the run's history %v: p50 %s, p90 %s (%d deliveries)", confirm,
			l[len(l)/2].Round(100*time.Microsecond), l[len(l)*9/10].Round(100*time.Microsecond), len(l))
	}

	// A delivery whose write the history does not hold: tagged like a discarded write's.
	items := deliveredStarts(t, s)
	last := items[len(items)-1]
	_, err := s.main.DB.Pool().Exec(ctx, `INSERT INTO outbox (kind, payload, dedupe_key, run_id, sync_seq, sync_write)
		SELECT kind, payload, 'discarded/' || dedupe_key, run_id, sync_seq, 'not-the-write' FROM outbox WHERE id = $1`, last.ID)
	require.NoError(t, err)
	d := outbox.New(outbox.Config{InHistory: outbox.Confirmed(s.main.Temporal)}, s.main.DB, safeClientFor(t, s), s.main.secrets, s.main.Logger)
	reqs, _ := sink.received()
	sent := len(reqs)
	eventually(t, func() bool {
		_, err := d.DeliverDue(ctx)
		require.NoError(t, err)
		left, err := s.main.DB.ListOutbox(ctx, postgres.OutboxFilter{KeyPrefix: "discarded/"})
		require.NoError(t, err)
		return len(left) == 0
	}, "the discarded write's delivery is deleted")
	reqs, _ = sink.received()
	require.Len(t, reqs, sent, "the discarded write's delivery was deleted, not sent")
}

// deliveredStarts are the run.started deliveries sent so far, oldest first.
func deliveredStarts(t *testing.T, s *stack) []postgres.OutboxItem {
	t.Helper()
	items, err := s.main.DB.ListOutbox(context.Background(), postgres.OutboxFilter{Kind: postgres.OutboxWebhook, Limit: 1000})
	require.NoError(t, err)
	return slices.DeleteFunc(items, func(it postgres.OutboxItem) bool {
		return it.DeliveredAt == nil || !strings.Contains(it.DedupeKey, "run.started/")
	})
}

// safeClientFor is the SSRF-guarded client the stack's worker uses.
func safeClientFor(t *testing.T, s *stack) *http.Client {
	t.Helper()
	cfg, err := s.main.Config.SafeHTTP()
	require.NoError(t, err)
	return safehttp.NewClient(cfg)
}
