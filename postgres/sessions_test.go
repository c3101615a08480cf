package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWebSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	_, err := db.CreateUser(ctx, User{ID: "ana", Email: "Ana@Example.com", Role: "member", Groups: []string{}})
	require.NoError(t, err)

	require.NoError(t, db.CreateSession(ctx, "h1", "ana", time.Now().Add(time.Hour)))
	u, err := db.SessionUser(ctx, "h1")
	require.NoError(t, err)
	require.Equal(t, "ana", u.ID)
	_, err = db.SessionUser(ctx, "nope")
	require.ErrorIs(t, err, ErrNotFound)
	require.ErrorIs(t, db.CreateSession(ctx, "h2", "nobody", time.Now().Add(time.Hour)), ErrNotFound, "unknown user")

	require.NoError(t, db.CreateSession(ctx, "old", "ana", time.Now().Add(-time.Second)))
	_, err = db.SessionUser(ctx, "old")
	require.ErrorIs(t, err, ErrNotFound, "an expired session signs nobody in")

	require.NoError(t, db.DeleteSession(ctx, "h1"))
	_, err = db.SessionUser(ctx, "h1")
	require.ErrorIs(t, err, ErrNotFound, "signed out")
	require.NoError(t, db.DeleteSession(ctx, "h1"), "signing out twice is fine")

	// A sign-in in progress and a one-time link are each good once.
	require.NoError(t, db.CreateSignIn(ctx, "s1", SignIn{Nonce: "n", Verifier: "v", Next: "/x"}, time.Now().Add(time.Minute)))
	si, err := db.TakeSignIn(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, SignIn{Nonce: "n", Verifier: "v", Next: "/x"}, si)
	_, err = db.TakeSignIn(ctx, "s1")
	require.ErrorIs(t, err, ErrNotFound)

	require.NoError(t, db.CreateSignInLink(ctx, "l1", "ana", time.Now().Add(time.Minute)))
	u, err = db.SignInLinkUser(ctx, "l1")
	require.NoError(t, err)
	require.Equal(t, "ana", u.ID)
	id, err := db.TakeSignInLink(ctx, "l1")
	require.NoError(t, err)
	require.Equal(t, "ana", id)
	_, err = db.TakeSignInLink(ctx, "l1")
	require.ErrorIs(t, err, ErrNotFound, "a link is good once")
	require.NoError(t, db.CreateSignInLink(ctx, "l2", "ana", time.Now().Add(-time.Second)))
	_, err = db.TakeSignInLink(ctx, "l2")
	require.ErrorIs(t, err, ErrNotFound, "an expired link")

	n, err := db.DeleteExpiredSessions(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 2, n, "the expired session and link")

	u, err = db.UserByEmail(ctx, "ana@example.COM")
	require.NoError(t, err)
	require.Equal(t, "ana", u.ID)
	_, err = db.UserByEmail(ctx, "ben@example.com")
	require.ErrorIs(t, err, ErrNotFound)
	_, err = db.CreateUser(ctx, User{ID: "ana2", Email: "ana@example.com", Role: "member", Groups: []string{}})
	require.NoError(t, err)
	_, err = db.UserByEmail(ctx, "ana@example.com")
	require.ErrorIs(t, err, ErrConflict, "an email two users share signs neither in")
}

// TestTaskSearch: the inbox's text search matches titles and run summaries, case
// ignored, with LIKE's wildcards taken literally.
func TestTaskSearch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	require.NoError(t, db.UpsertRun(ctx, Run{ID: "r1", Definition: "d", Version: 1, Status: "running", Summary: "Laptop for Jane"}))
	require.NoError(t, db.UpsertRun(ctx, Run{ID: "r2", Definition: "d", Version: 1, Status: "running", Summary: "Desk for Omar"}))
	for _, task := range []Task{
		{ID: "t1", RunID: "r1", StepID: "s", Definition: "d", Title: "Approve 100% of it", Assignees: []string{"ana"}},
		{ID: "t2", RunID: "r2", StepID: "s", Definition: "d", Title: "Order", Assignees: []string{"ana"}},
		{ID: "t3", RunID: "r2", StepID: "s", Definition: "d", Title: "Order a laptop", Assignees: []string{"ben"}},
	} {
		require.NoError(t, db.OpenTask(ctx, task))
	}
	ids := func(search string) []string {
		tasks, _, err := db.ListTasks(ctx, TaskFilter{Assignee: "ana", Status: "open", Search: search})
		require.NoError(t, err)
		out := []string{}
		for _, t := range tasks {
			out = append(out, t.ID)
		}
		return out
	}
	require.Equal(t, []string{"t1"}, ids("LAPTOP"), "the run's summary; ben's task is not ana's")
	require.Equal(t, []string{"t2"}, ids("omar"))
	require.Equal(t, []string{"t1"}, ids("100%"), "% is literal")
	require.Empty(t, ids("1_0"), "_ is literal")
	require.Equal(t, []string{"t1", "t2"}, ids(""))
}

// TestWebInboxNotifications: every commit that changes open tasks names the inboxes it
// changed on handoff_web_inbox.
func TestWebInboxNotifications(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := newDB(t)
	ready, got := make(chan struct{}), make(chan []string, 10)
	go func() {
		_ = db.ListenInboxChanges(ctx, func() { close(ready) }, func(p []string, all bool) {
			if all {
				p = []string{"*"}
			}
			got <- p
		})
	}()
	<-ready
	next := func() []string {
		t.Helper()
		select {
		case p := <-got:
			return p
		case <-time.After(10 * time.Second):
			t.Fatal("no notification")
			return nil
		}
	}
	task := Task{ID: "t1", RunID: "r1", StepID: "s", Definition: "d", Assignees: []string{"ana"}, CandidateGroups: []string{"ops"}}
	require.NoError(t, db.OpenTask(ctx, task))
	require.Equal(t, []string{"g:ops", "u:ana"}, next(), "a new task")
	task.ClaimedBy = "ben"
	require.NoError(t, db.OpenTask(ctx, task))
	require.Equal(t, []string{"g:ops", "u:ana", "u:ben"}, next(), "claimed: where it was and where it is")
	require.NoError(t, db.CloseTask(ctx, Task{ID: "t1", Status: "completed", CompletedBy: "ben"}))
	require.Equal(t, []string{"u:ben"}, next(), "completed: the inbox it leaves")
	_, err := db.pool.Exec(ctx, "TRUNCATE tasks CASCADE")
	require.NoError(t, err)
	require.Equal(t, []string{"*"}, next(), "emptied")
}
