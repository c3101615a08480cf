package postgres

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEnqueueIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)

	item := NewOutboxItem{Kind: OutboxEmail, Payload: json.RawMessage(`{"to":"a@example.com"}`), DedupeKey: "k/1"}
	n, err := db.Enqueue(ctx, []NewOutboxItem{item, item})
	require.NoError(t, err)
	require.Equal(t, 1, n, "a key repeated in one call is queued once")
	n, err = db.Enqueue(ctx, []NewOutboxItem{item})
	require.NoError(t, err)
	require.Equal(t, 0, n, "a key already queued is skipped")

	items, err := db.ListOutbox(ctx, OutboxFilter{})
	require.NoError(t, err)
	require.Len(t, items, 1)
	require.Equal(t, "k/1", items[0].DedupeKey)
	require.Regexp(t, `^msg_[0-9a-f]{32}$`, items[0].ID)
	require.Zero(t, items[0].Attempts)
}

func TestClaimOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)

	var items []NewOutboxItem
	for _, k := range []string{"a", "b", "c"} {
		items = append(items, NewOutboxItem{Kind: OutboxWebhook, Payload: json.RawMessage(`{}`), DedupeKey: k})
	}
	_, err := db.Enqueue(ctx, items)
	require.NoError(t, err)

	first, err := db.ClaimOutbox(ctx, 2, time.Minute)
	require.NoError(t, err)
	require.Len(t, first, 2)
	require.Equal(t, 1, first[0].Attempts)
	rest, err := db.ClaimOutbox(ctx, 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, rest, 1, "leased deliveries are not claimed twice")
	none, err := db.ClaimOutbox(ctx, 10, time.Minute)
	require.NoError(t, err)
	require.Empty(t, none)

	// Delivered, failed-for-later, failed-now and dead deliveries.
	require.NoError(t, db.OutboxDelivered(ctx, first[0].ID))
	require.NoError(t, db.OutboxFailed(ctx, first[1].ID, "boom", time.Hour, false))
	require.NoError(t, db.OutboxFailed(ctx, rest[0].ID, "again", 0, false))
	again, err := db.ClaimOutbox(ctx, 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, again, 1, "only the delivery due now")
	require.Equal(t, rest[0].ID, again[0].ID)
	require.Equal(t, 2, again[0].Attempts)
	require.Equal(t, "again", again[0].LastError)

	require.NoError(t, db.OutboxFailed(ctx, again[0].ID, "gave up", 0, true))
	none, err = db.ClaimOutbox(ctx, 10, 0)
	require.NoError(t, err)
	require.Empty(t, none, "dead deliveries are never claimed")
	dead, err := db.OutboxItem(ctx, again[0].ID)
	require.NoError(t, err)
	require.NotNil(t, dead.DeadAt)
	require.Equal(t, "gave up", dead.LastError)
	done, err := db.OutboxItem(ctx, first[0].ID)
	require.NoError(t, err)
	require.NotNil(t, done.DeliveredAt)
}

// TestWriteInboxQueues checks that one inbox write queues emails to assignees, group
// members and managers, and events to matching subscriptions, exactly once.
func TestWriteInboxQueues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	for _, u := range []User{
		{ID: "boss", Email: "boss@example.com"},
		{ID: "alice", Email: "alice@example.com", Manager: "boss"},
		{ID: "bob", Email: "bob@example.com", Groups: []string{"hr"}},
		{ID: "carol", Groups: []string{"hr"}}, // no email: skipped
	} {
		_, err := db.CreateUser(ctx, u)
		require.NoError(t, err)
	}
	for _, s := range []Subscription{
		{ID: "sub_a", URL: "https://a.example", Events: []string{"run.started", "task.assigned"}, SealedSecret: []byte{1}},
		{ID: "sub_b", URL: "https://b.example", Events: []string{"task.completed"}, SealedSecret: []byte{1}},
	} {
		_, err := db.CreateSubscription(ctx, s)
		require.NoError(t, err)
	}
	task := Task{ID: "r1.review", RunID: "r1", StepID: "review", Definition: "d", Title: "Review it",
		Assignees: []string{"alice"}, CandidateGroups: []string{"hr"}, DueAt: at(time.Hour)}
	w := InboxWrite{
		Run:  &Run{ID: "r1", Definition: "d", Version: 1, Status: "running", Summary: "Onboarding Jane", StartedAt: testNow},
		Open: []Task{task},
		Emails: []TaskEmail{
			{Key: "assigned/r1.review", Event: "task.assigned", TaskID: task.ID, Users: []string{"alice"}, Groups: []string{"hr"}},
			{Key: "reminder/r1.review", Event: "task.reminder", TaskID: task.ID, ManagerOf: []string{"alice"}},
		},
		Events: []OutboundEvent{
			{Type: "run.started", Key: "run.started/r1", RunID: "r1", At: testNow},
			{Type: "task.assigned", Key: "task.assigned/r1.review", RunID: "r1", TaskID: task.ID, At: testNow},
		},
	}
	require.NoError(t, db.WriteInbox(ctx, w))
	require.NoError(t, db.WriteInbox(ctx, w), "a retried write queues nothing more")

	emails, err := db.ListOutbox(ctx, OutboxFilter{Kind: OutboxEmail})
	require.NoError(t, err)
	var keys []string
	for _, e := range emails {
		keys = append(keys, e.DedupeKey)
	}
	slices.Sort(keys)
	require.Equal(t, []string{"assigned/r1.review/alice", "assigned/r1.review/bob", "reminder/r1.review/boss"}, keys)
	var mail struct {
		To, User, Event string
		Task            struct {
			ID, Title, Summary string
			RunID              string    `json:"run_id"`
			DueAt              time.Time `json:"due_at"`
		}
	}
	require.NoError(t, json.Unmarshal(emails[0].Payload, &mail))
	require.Equal(t, "Review it", mail.Task.Title)
	require.Equal(t, "Onboarding Jane", mail.Task.Summary)
	require.Equal(t, "r1", mail.Task.RunID)
	require.True(t, task.DueAt.Equal(mail.Task.DueAt))

	hooks, err := db.ListOutbox(ctx, OutboxFilter{Kind: OutboxWebhook})
	require.NoError(t, err)
	require.Len(t, hooks, 2, "sub_a wants both events, sub_b neither")
	var hook struct {
		Subscription string
		Body         struct {
			Type      string
			Timestamp time.Time
			Data      map[string]map[string]any
		}
	}
	for _, h := range hooks {
		require.NoError(t, json.Unmarshal(h.Payload, &hook))
		require.Equal(t, "sub_a", hook.Subscription)
		require.True(t, testNow.Equal(hook.Body.Timestamp))
		require.Equal(t, "r1", hook.Body.Data["run"]["id"])
		if hook.Body.Type == "task.assigned" {
			require.Equal(t, "Review it", hook.Body.Data["task"]["title"])
			require.Equal(t, []any{"alice"}, hook.Body.Data["task"]["assignees"])
		}
	}

	// Closing the task queues task.completed for sub_b, with the outcome.
	done := task
	done.Status, done.Outcome, done.CompletedBy, done.CompletedAt = "completed", "ok", "alice", at(2*time.Hour)
	require.NoError(t, db.WriteInbox(ctx, InboxWrite{Close: []Task{done}, Events: []OutboundEvent{
		{Type: "task.completed", Key: "task.completed/r1.review", RunID: "r1", TaskID: task.ID, At: *done.CompletedAt},
	}}))
	hooks, err = db.ListOutbox(ctx, OutboxFilter{Kind: OutboxWebhook, KeyPrefix: "sub_b/"})
	require.NoError(t, err)
	require.Len(t, hooks, 1)
	require.NoError(t, json.Unmarshal(hooks[0].Payload, &hook))
	require.Equal(t, "ok", hook.Body.Data["task"]["outcome"])
	require.Equal(t, "completed", hook.Body.Data["task"]["status"])
}

func TestRecipients(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	for _, u := range []User{
		{ID: "boss", Email: "boss@example.com"},
		{ID: "alice", Email: "alice@example.com", Manager: "boss", Groups: []string{"hr"}},
		{ID: "bob", Groups: []string{"hr"}},
	} {
		_, err := db.CreateUser(ctx, u)
		require.NoError(t, err)
	}
	got, err := db.Recipients(ctx,
		[]string{PrincipalUser, PrincipalGroup, PrincipalManagerOf, PrincipalUser},
		[]string{"alice", "hr", "alice", "nobody"})
	require.NoError(t, err)
	slices.SortFunc(got, func(a, b Recipient) int {
		return strings.Compare(a.Kind+a.UserID, b.Kind+b.UserID)
	})
	require.Equal(t, []Recipient{
		{Kind: "group", Principal: "hr", UserID: "alice", Email: "alice@example.com"},
		{Kind: "group", Principal: "hr", UserID: "bob", Email: ""},
		{Kind: "manager_of", Principal: "alice", UserID: "boss", Email: "boss@example.com"},
		{Kind: "user", Principal: "alice", UserID: "alice", Email: "alice@example.com"},
	}, got)
}

func TestSubscriptions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	s, err := db.CreateSubscription(ctx, Subscription{ID: "sub_1", URL: "https://x.example/hook",
		Events: []string{"run.completed"}, SealedSecret: []byte("sealed"), Description: "CRM", CreatedBy: "admin"})
	require.NoError(t, err)
	require.False(t, s.CreatedAt.IsZero())
	_, err = db.CreateSubscription(ctx, Subscription{ID: "sub_1", URL: "https://y.example", SealedSecret: []byte{1}})
	require.ErrorIs(t, err, ErrConflict)

	got, err := db.Subscription(ctx, "sub_1")
	require.NoError(t, err)
	require.Equal(t, []byte("sealed"), got.SealedSecret)
	require.Equal(t, []string{"run.completed"}, got.Events)
	list, err := db.ListSubscriptions(ctx, "", 0)
	require.NoError(t, err)
	require.Len(t, list, 1)

	require.NoError(t, db.DeleteSubscription(ctx, "sub_1"))
	require.ErrorIs(t, db.DeleteSubscription(ctx, "sub_1"), ErrNotFound)
	_, err = db.Subscription(ctx, "sub_1")
	require.ErrorIs(t, err, ErrNotFound)
}

// TestListenOutbox: the listener is told once when it starts and again for every
// transaction that queues deliveries.
func TestListenOutbox(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	told := make(chan struct{}, 10)
	stopped := make(chan error, 1)
	go func() { stopped <- db.ListenOutbox(ctx, func() { told <- struct{}{} }) }()
	wait := func(what string) {
		t.Helper()
		select {
		case <-told:
		case <-time.After(10 * time.Second):
			t.Fatalf("not told %s", what)
		}
	}
	wait("on start")
	_, err := db.Enqueue(ctx, []NewOutboxItem{{Kind: OutboxEmail, Payload: json.RawMessage(`{}`), DedupeKey: "x"}})
	require.NoError(t, err)
	wait("after an enqueue")
	cancel()
	select {
	case err := <-stopped:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("ListenOutbox did not return after cancel")
	}
}
