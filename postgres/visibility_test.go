package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRunVisible: who sees a run, from the projection's writes alone, and the run list
// and outbound events that follow the same rule.
func TestRunVisible(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	for _, u := range []User{
		{ID: "sam", Role: "member"}, {ID: "ann", Role: "member"}, {ID: "bea", Role: "member"},
		{ID: "gus", Role: "member", Groups: []string{"hr"}}, {ID: "vic", Role: "member", Groups: []string{"finance"}},
		{ID: "val", Role: "member"}, {ID: "dan", Role: "designer"}, {ID: "aud", Role: "auditor"},
		{ID: "adm", Role: "admin"}, {ID: "eve", Role: "member"},
	} {
		_, err := db.CreateUser(ctx, u)
		require.NoError(t, err)
	}
	_, _, err := db.PublishDefinition(ctx, Definition{Key: "onb", Hash: "sha256:1", Source: "x",
		Program: []byte(`{"key":"onb","roles":[{"name":"hr","group":"hr"},{"name":"viewers","group":"finance"}],"steps":[]}`)})
	require.NoError(t, err)
	_, _, err = db.PublishDefinition(ctx, Definition{Key: "onb", Hash: "sha256:2", Source: "y",
		Program: []byte(`{"key":"onb","roles":[{"name":"viewers","users":["val"]}],"steps":[]}`)})
	require.NoError(t, err)

	t0 := time.Now().UTC()
	require.NoError(t, db.WriteInbox(ctx, InboxWrite{
		Run: &Run{ID: "onb-1", Definition: "onb", Version: 1, Status: "running", StartedBy: "sam", StartedAt: t0},
		Open: []Task{
			{ID: "onb-1.a", RunID: "onb-1", StepID: "a", Definition: "onb", Assignees: []string{"ann"}, CreatedAt: t0},
			{ID: "onb-1.b", RunID: "onb-1", StepID: "b", Definition: "onb", CandidateGroups: []string{"hr"}, CreatedAt: t0},
		},
	}))
	require.NoError(t, db.WriteInbox(ctx, InboxWrite{
		Run: &Run{ID: "onb-2", Definition: "onb", Version: 2, Status: "running", StartedBy: "eve", StartedAt: t0.Add(time.Second)},
	}))
	// ann's task is reassigned to bea: ann was an assignee, and still sees the run.
	require.NoError(t, db.WriteInbox(ctx, InboxWrite{
		Open: []Task{{ID: "onb-1.a", RunID: "onb-1", StepID: "a", Definition: "onb", Assignees: []string{"bea"}, CreatedAt: t0}},
	}))

	for _, tc := range []struct {
		run   string
		sees  []string
		blind []string
	}{
		{"onb-1", []string{"sam", "ann", "bea", "gus", "vic", "aud", "adm"}, []string{"val", "dan", "eve", "ghost"}},
		{"onb-2", []string{"eve", "val", "aud", "adm"}, []string{"sam", "ann", "vic", "dan", "ghost"}},
		{"onb-unknown", []string{"aud", "adm"}, []string{"sam", "eve"}},
	} {
		for _, u := range tc.sees {
			ok, err := db.RunVisible(ctx, tc.run, u)
			require.NoError(t, err)
			require.True(t, ok, "%s sees %s", u, tc.run)
		}
		for _, u := range tc.blind {
			ok, err := db.RunVisible(ctx, tc.run, u)
			require.NoError(t, err)
			require.False(t, ok, "%s does not see %s", u, tc.run)
		}
	}

	ids := func(viewer string) []string {
		runs, err := db.ListRuns(ctx, RunFilter{Viewer: viewer})
		require.NoError(t, err)
		out := []string{}
		for _, r := range runs {
			out = append(out, r.ID)
		}
		return out
	}
	require.Equal(t, []string{"onb-1"}, ids("ann"))
	require.Equal(t, []string{"onb-2"}, ids("val"))
	require.Equal(t, []string{"onb-2", "onb-1"}, ids("aud"))
	require.Empty(t, ids("dan"))
	require.Equal(t, []string{"onb-2", "onb-1"}, ids(""), "no viewer: no filter")

	// A subscription carries only the events of the runs its creator sees.
	for _, s := range []Subscription{
		{ID: "sub_adm", URL: "https://x.example", Events: []string{"run.started"}, CreatedBy: "adm", SealedSecret: []byte{1}},
		{ID: "sub_eve", URL: "https://x.example", Events: []string{"run.started"}, CreatedBy: "eve", SealedSecret: []byte{1}},
	} {
		_, err := db.CreateSubscription(ctx, s)
		require.NoError(t, err)
	}
	require.NoError(t, db.WriteInbox(ctx, InboxWrite{Events: []OutboundEvent{
		{Type: "run.started", Key: "run.started/onb-1", RunID: "onb-1", At: t0},
		{Type: "run.started", Key: "run.started/onb-2", RunID: "onb-2", At: t0},
	}}))
	items, err := db.ListOutbox(ctx, OutboxFilter{})
	require.NoError(t, err)
	keys := []string{}
	for _, it := range items {
		keys = append(keys, it.DedupeKey)
	}
	require.ElementsMatch(t, []string{"sub_adm/run.started/onb-1", "sub_adm/run.started/onb-2", "sub_eve/run.started/onb-2"}, keys)
}
