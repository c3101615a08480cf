package outbox

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/internal/smtptest"
	"github.com/handoffhq/handoff/postgres"
)

var (
	t0  = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	due = t0.Add(48 * time.Hour)
)

// openTask writes a run and an open task for alice and asks for an email to her.
func openTask(t *testing.T, db *postgres.DB) {
	t.Helper()
	ctx := context.Background()
	_, err := db.CreateUser(ctx, postgres.User{ID: "alice", Name: "Alice", Email: "alice@example.com"})
	require.NoError(t, err)
	require.NoError(t, db.WriteInbox(ctx, postgres.InboxWrite{
		Run: &postgres.Run{ID: "onb-1", Definition: "onb", Version: 1, Status: "running",
			Summary: "Onboarding: Jane Doe", StartedAt: t0},
		Open: []postgres.Task{{ID: "onb-1.laptop", RunID: "onb-1", StepID: "laptop", Definition: "onb",
			Title: "Order a laptop", Assignees: []string{"alice"}, DueAt: &due, CreatedAt: t0}},
		Emails: []postgres.TaskEmail{{Key: "assigned/onb-1.laptop", Event: EventTaskAssigned,
			TaskID: "onb-1.laptop", Users: []string{"alice"}}},
		Events: []postgres.OutboundEvent{{Type: EventTaskAssigned, Key: "task.assigned/onb-1.laptop",
			RunID: "onb-1", TaskID: "onb-1.laptop", At: t0}},
	}))
}

func TestTaskEmail(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	smtp := smtptest.Start(t)
	d := New(Config{PublicURL: "https://handoff.example.com/", SMTP: SMTPConfig{Addr: smtp.Addr, From: "flows@example.com"}},
		db, http.DefaultClient, nil, quietLogger())
	openTask(t, db)

	n, err := d.DeliverDue(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	msgs := smtp.WaitFor(t, 1, 5*time.Second)
	m := msgs[0]
	require.Equal(t, "flows@example.com", m.From)
	require.Equal(t, []string{"alice@example.com"}, m.To)
	require.Equal(t, "Task for you: Order a laptop", m.Header("Subject"))
	it := item(t, db, "assigned/")
	require.Equal(t, "<"+it.ID+"@example.com>", m.Header("Message-ID"))
	body := m.Text()
	require.Contains(t, body, "Task:  Order a laptop")
	require.Contains(t, body, "Run:   Onboarding: Jane Doe (onb-1)")
	require.Contains(t, body, "Due:   Wed 4 Mar 2026 09:00 UTC")
	require.Contains(t, body, "Link:  https://handoff.example.com/tasks/onb-1.laptop")
	require.NotNil(t, item(t, db, "assigned/").DeliveredAt)
}

func TestEmailFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		refuse       []int
		disabled     bool
		wantAttempts int
		wantDead     string // "" = delivered
	}{
		{name: "transient refusal is retried", refuse: []int{451, 451}, wantAttempts: 3},
		{name: "permanent refusal is dead at once", refuse: []int{550}, wantAttempts: 1, wantDead: "550"},
		{name: "email disabled", disabled: true, wantAttempts: 1, wantDead: "HANDOFF_SMTP_ADDR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			smtp := smtptest.Start(t)
			smtp.Refuse(tt.refuse...)
			cfg := Config{SMTP: SMTPConfig{Addr: smtp.Addr}, MinBackoff: time.Millisecond}
			if tt.disabled {
				cfg.SMTP.Addr = ""
			}
			d := New(cfg, db, http.DefaultClient, nil, quietLogger())
			openTask(t, db)
			deliverUntil(t, d, func() bool {
				it := item(t, db, "assigned/")
				return it.DeliveredAt != nil || it.DeadAt != nil
			})
			it := item(t, db, "assigned/")
			require.Equal(t, tt.wantAttempts, it.Attempts)
			if tt.wantDead == "" {
				require.NotNil(t, it.DeliveredAt)
				require.Len(t, smtp.Messages(), 1)
				return
			}
			require.NotNil(t, it.DeadAt)
			require.Contains(t, it.LastError, tt.wantDead)
			require.Empty(t, smtp.Messages())
		})
	}
}

// TestWebhookRetriedThenDelivered: a sink that fails twice gets the event a third time,
// after a growing backoff, with the same webhook-id and a signature the Standard
// Webhooks reference library accepts.
func TestWebhookRetriedThenDelivered(t *testing.T) {
	t.Parallel()
	db, box := newDB(t), newBox(t)
	s := newSink(t, http.StatusInternalServerError, http.StatusServiceUnavailable)
	secret := subscribe(t, db, box, "sub_1", s.URL+"/hook", EventTaskAssigned)
	d := New(Config{MinBackoff: 100 * time.Millisecond}, db, loopbackClient(t, s.URL), box, quietLogger())
	openTask(t, db)

	deliverUntil(t, d, func() bool { return item(t, db, "sub_1/").DeliveredAt != nil })
	it := item(t, db, "sub_1/")
	require.Equal(t, 3, it.Attempts)
	got := s.requests()
	require.Len(t, got, 3)
	require.GreaterOrEqual(t, got[1].At.Sub(got[0].At), 100*time.Millisecond, "first backoff")
	require.GreaterOrEqual(t, got[2].At.Sub(got[1].At), 200*time.Millisecond, "second backoff doubles")

	ref, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	for _, r := range got {
		require.Equal(t, it.ID, r.Header.Get("webhook-id"), "the same id on every attempt")
		require.NoError(t, ref.Verify(r.Body, r.Header))
	}
	require.Error(t, ref.Verify(append(got[2].Body, ' '), got[2].Header), "the signature covers the body")
	require.Contains(t, string(got[2].Body), `"type":"task.assigned"`)
	require.Contains(t, string(got[2].Body), `"title":"Order a laptop"`)
}

func TestWebhookDead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		statuses  []int
		deleteSub bool
		url       string // instead of the sink's
		wantCalls int
		wantTries int
		wantError string
	}{
		{name: "gives up after max attempts", statuses: []int{503, 503, 503, 503}, wantCalls: 3, wantTries: 3, wantError: "503"},
		{name: "subscription deleted", deleteSub: true, wantCalls: 0, wantTries: 1, wantError: "deleted"},
		// Waiting does not change the guard's verdict: dead at the first attempt.
		{name: "blocked by the SSRF guard", url: "http://10.0.0.1/hook", wantCalls: 0, wantTries: 1,
			wantError: "adding 10.0.0.1 to HANDOFF_HTTP_ALLOW"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, box := newDB(t), newBox(t)
			s := newSink(t, tt.statuses...)
			target := s.URL
			if tt.url != "" {
				target = tt.url
			}
			subscribe(t, db, box, "sub_1", target, EventTaskAssigned)
			d := New(Config{MinBackoff: time.Millisecond, MaxAttempts: 3}, db, loopbackClient(t, s.URL), box, quietLogger())
			openTask(t, db)
			if tt.deleteSub {
				require.NoError(t, db.DeleteSubscription(context.Background(), "sub_1"))
			}
			deliverUntil(t, d, func() bool { return item(t, db, "sub_1/").DeadAt != nil })
			it := item(t, db, "sub_1/")
			require.Nil(t, it.DeliveredAt)
			require.Contains(t, it.LastError, tt.wantError)
			require.Equal(t, tt.wantTries, it.Attempts)
			require.Len(t, s.requests(), tt.wantCalls)
			n, err := d.DeliverDue(context.Background())
			require.NoError(t, err)
			require.Zero(t, n, "dead deliveries are not tried again")
		})
	}
}

// TestStartWakesOnEnqueue: with a poll interval of an hour, only LISTEN/NOTIFY can
// deliver the email in time.
func TestStartWakesOnEnqueue(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	smtp := smtptest.Start(t)
	d := New(Config{SMTP: SMTPConfig{Addr: smtp.Addr}, PollInterval: time.Hour}, db, http.DefaultClient, nil, quietLogger())
	d.Start()
	t.Cleanup(d.Stop)
	// The first drain happens once listening; then the enqueue must wake the dispatcher.
	deadline := time.Now().Add(10 * time.Second)
	for {
		conns := 0
		require.NoError(t, db.Pool().QueryRow(context.Background(),
			"SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE '%LISTEN handoff_outbox%'").Scan(&conns))
		if conns > 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the dispatcher never listened")
		time.Sleep(10 * time.Millisecond)
	}
	openTask(t, db)
	m := smtp.WaitFor(t, 1, 10*time.Second)[0]
	require.True(t, strings.HasPrefix(m.Header("Subject"), "Task for you"))
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	d := New(Config{}, nil, nil, nil, quietLogger())
	for attempt, want := range map[int]time.Duration{
		1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 10: 512 * time.Second,
		11: 10 * time.Minute, 15: 10 * time.Minute, 60: 10 * time.Minute,
	} {
		require.Equal(t, want, d.backoff(attempt), "attempt %d", attempt)
	}
}
