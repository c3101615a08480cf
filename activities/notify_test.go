package activities

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/handoffhq/handoff/internal/testenv"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// notifyDB is a migrated store with alice (email, hr), bob (hr, no email) and carol
// (email, alice's manager).
func notifyDB(t *testing.T) *postgres.DB {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, testenv.DatabaseURL(t))
	require.NoError(t, err)
	t.Cleanup(db.Close)
	require.NoError(t, db.Migrate(ctx))
	for _, u := range []postgres.User{
		{ID: "carol", Email: "carol@example.com"},
		{ID: "alice", Email: "alice@example.com", Groups: []string{"hr"}, Manager: "carol"},
		{ID: "bob", Groups: []string{"hr"}},
	} {
		_, err := db.CreateUser(ctx, u)
		require.NoError(t, err)
	}
	return db
}

func activityEnv(a *Activities) *testsuite.TestActivityEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	return env
}

func dedupeKeys(t *testing.T, db *postgres.DB, kind string) []string {
	t.Helper()
	items, err := db.ListOutbox(context.Background(), postgres.OutboxFilter{Kind: kind})
	require.NoError(t, err)
	var keys []string
	for _, it := range items {
		keys = append(keys, it.DedupeKey)
	}
	slices.Sort(keys)
	return keys
}

func TestNotifyEmail(t *testing.T) {
	t.Parallel()
	db := notifyDB(t)
	env := activityEnv(&Activities{DB: db, Logger: slog.New(slog.DiscardHandler)})
	req := workflows.NotifyRequest{RunID: "r1", StepID: "tell", Channel: "email", Users: []string{"alice"},
		Groups: []string{"hr"}, ManagerOf: []string{"alice"}, Addresses: []string{"Ops <ops@example.com>"},
		Subject: "Hello", Message: "Ready.", IdempotencyKey: "r1/tell/1"}
	for range 2 { // a retried activity queues nothing more
		_, err := env.ExecuteActivity(workflows.ActivityNotify, req)
		require.NoError(t, err)
	}
	require.Equal(t, []string{
		"notify/r1/tell/1/alice@example.com", "notify/r1/tell/1/carol@example.com", "notify/r1/tell/1/ops@example.com",
	}, dedupeKeys(t, db, postgres.OutboxEmail))
}

func TestNotifyRefuses(t *testing.T) {
	t.Parallel()
	db := notifyDB(t)
	env := activityEnv(&Activities{DB: db, Logger: slog.New(slog.DiscardHandler)})
	tests := []struct {
		name string
		req  workflows.NotifyRequest
		want string
	}{
		{"nobody has an address", workflows.NotifyRequest{Channel: "email", Users: []string{"bob", "ghost"}}, "nobody to email"},
		{"bad address", workflows.NotifyRequest{Channel: "email", Addresses: []string{"not an address"}}, "not an email address"},
		{"unrendered address", workflows.NotifyRequest{Channel: "email", Addresses: []string{"{{ inputs.contact }}"}}, "not an email address"},
		{"unknown channel", workflows.NotifyRequest{Channel: "pigeon"}, "unknown notify channel"},
		{"no http client", workflows.NotifyRequest{Channel: "slack", URL: "https://hooks.example.com/x"}, "no HTTP client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.IdempotencyKey = "k/" + tt.name
			_, err := env.ExecuteActivity(workflows.ActivityNotify, tt.req)
			require.ErrorContains(t, err, tt.want)
			var appErr *temporal.ApplicationError
			require.True(t, errors.As(err, &appErr))
			require.True(t, appErr.NonRetryable(), "retrying cannot fix it")
		})
	}
	require.Empty(t, dedupeKeys(t, db, postgres.OutboxEmail))
}

// TestSyncInboxQueues: the projection write queues the assignment email and the events
// for subscribers, once however often the activity runs.
func TestSyncInboxQueues(t *testing.T) {
	t.Parallel()
	db := notifyDB(t)
	_, err := db.CreateSubscription(context.Background(), postgres.Subscription{ID: "sub_1", URL: "https://x.example",
		Events: []string{"run.started", "task.assigned", "task.completed"}, SealedSecret: []byte{1}})
	require.NoError(t, err)
	env := activityEnv(&Activities{DB: db, Logger: slog.New(slog.DiscardHandler)})
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	task := workflows.Task{ID: "r1.review", RunID: "r1", StepID: "review", Definition: "d", Title: "Review",
		Status: workflows.TaskOpen, Assignees: []string{}, CandidateGroups: []string{"hr"}, CreatedAt: start}
	open := workflows.InboxSync{
		Run:  &workflows.RunRecord{ID: "r1", Definition: "d", Version: 1, Status: workflows.StatusRunning, StartedAt: start},
		Open: []workflows.TaskOpening{{Task: task}},
	}
	for range 2 {
		_, err := env.ExecuteActivity(workflows.ActivitySyncInbox, open)
		require.NoError(t, err)
	}
	require.Equal(t, []string{"email/task.assigned/r1.review/" + nanos(start) + "/alice"},
		dedupeKeys(t, db, postgres.OutboxEmail), "bob has no address")
	require.Len(t, dedupeKeys(t, db, postgres.OutboxWebhook), 2, "run.started and task.assigned")

	// Alice claims it: a new assignment event, but she was told already.
	task.ClaimedBy = "alice"
	task.History = []workflows.TaskEvent{{At: start.Add(time.Minute), Kind: "claim", Actor: "alice"}}
	_, err = env.ExecuteActivity(workflows.ActivitySyncInbox, workflows.InboxSync{Open: []workflows.TaskOpening{{Task: task}}})
	require.NoError(t, err)
	require.Len(t, dedupeKeys(t, db, postgres.OutboxEmail), 1)
	require.Len(t, dedupeKeys(t, db, postgres.OutboxWebhook), 3)

	done := task
	done.Status, done.Outcome, done.CompletedBy = workflows.TaskCompleted, "completed", "alice"
	cancelled := done
	cancelled.ID, cancelled.Status = "r1.other", workflows.TaskCancelled
	_, err = env.ExecuteActivity(workflows.ActivitySyncInbox, workflows.InboxSync{
		Open:  []workflows.TaskOpening{{Task: workflows.Task{ID: "r1.other", RunID: "r1", StepID: "other", Definition: "d", CreatedAt: start}}},
		Close: []workflows.Task{done},
	})
	require.NoError(t, err)
	_, err = env.ExecuteActivity(workflows.ActivitySyncInbox, workflows.InboxSync{Close: []workflows.Task{cancelled}})
	require.NoError(t, err)
	hooks := dedupeKeys(t, db, postgres.OutboxWebhook)
	require.Len(t, hooks, 5, "task.completed for the completed task, task.assigned for the new one, nothing for the cancelled one")
	require.Contains(t, hooks, "sub_1/task.completed/r1.review/"+nanos(start))
}

func nanos(t time.Time) string { return strconv.FormatInt(t.UnixNano(), 10) }
