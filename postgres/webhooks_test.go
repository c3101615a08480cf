package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWebhookSecretsAtMostTwo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	add := func(id string) error {
		_, err := db.AddWebhookSecret(ctx, WebhookSecret{ID: id, Definition: "onboarding", Trigger: "ats", Ciphertext: []byte("sealed-" + id), CreatedBy: "dana"})
		return err
	}
	require.NoError(t, add("s1"))
	require.NoError(t, add("s2"))
	require.ErrorIs(t, add("s3"), ErrTooManySecrets)
	_, err := db.AddWebhookSecret(ctx, WebhookSecret{ID: "o1", Definition: "onboarding", Trigger: "other", Ciphertext: []byte("x")})
	require.NoError(t, err, "the limit is per trigger")

	got, err := db.WebhookSecrets(ctx, "onboarding", "ats")
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "s1", got[0].ID)
	require.Equal(t, []byte("sealed-s1"), got[0].Ciphertext)

	require.ErrorIs(t, db.DeleteWebhookSecret(ctx, "onboarding", "other", "s1"), ErrNotFound, "a secret of another trigger")
	require.NoError(t, db.DeleteWebhookSecret(ctx, "onboarding", "ats", "s1"))
	require.ErrorIs(t, db.DeleteWebhookSecret(ctx, "onboarding", "ats", "s1"), ErrNotFound)
	require.NoError(t, add("s3"), "room again after a delete")
}

func TestWebhookSecretsConcurrentAdds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = db.AddWebhookSecret(ctx, WebhookSecret{ID: string(rune('a' + i)), Definition: "d", Trigger: "t", Ciphertext: []byte("x")})
		})
	}
	wg.Wait()
	added := 0
	for _, err := range errs {
		if err == nil {
			added++
		} else {
			require.ErrorIs(t, err, ErrTooManySecrets)
		}
	}
	require.Equal(t, MaxWebhookSecrets, added)
}

func TestStartDelivery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	d := WebhookDelivery{Definition: "onboarding", Trigger: "ats", WebhookID: "msg_1", RunID: "onboarding-wh-1"}

	boom := errors.New("temporal is down")
	_, _, err := db.StartDelivery(ctx, d, func(context.Context) error { return boom })
	require.ErrorIs(t, err, boom)
	n, err := db.CountWebhookDeliveries(ctx, "onboarding")
	require.NoError(t, err)
	require.Zero(t, n, "a failed start leaves no record")

	starts := 0
	rec, dup, err := db.StartDelivery(ctx, d, func(context.Context) error { starts++; return nil })
	require.NoError(t, err)
	require.False(t, dup)
	require.Equal(t, "onboarding-wh-1", rec.RunID)

	again := d
	again.RunID = "something-else"
	rec, dup, err = db.StartDelivery(ctx, again, func(context.Context) error { starts++; return nil })
	require.NoError(t, err)
	require.True(t, dup)
	require.Equal(t, "onboarding-wh-1", rec.RunID, "a duplicate answers the recorded run")
	require.Equal(t, 1, starts)
}

func TestStartDeliveryConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	var starts atomic.Int32
	var wg sync.WaitGroup
	recs, errs := make([]WebhookDelivery, 30), make([]error, 30)
	for i := range recs {
		wg.Go(func() {
			recs[i], _, errs[i] = db.StartDelivery(ctx, WebhookDelivery{Definition: "d", Trigger: "t", WebhookID: "msg", RunID: "run-1"},
				func(context.Context) error { starts.Add(1); return nil })
		})
	}
	wg.Wait()
	for i := range recs {
		require.NoError(t, errs[i])
		require.Equal(t, "run-1", recs[i].RunID)
	}
	require.EqualValues(t, 1, starts.Load())
}

func TestSchedules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	ok := func(context.Context) error { return nil }
	s := Schedule{ID: "weekly", Definition: "report", Version: 2, Cron: "0 9 * * 1", TimeZone: "Europe/Paris",
		Overlap: "skip", Inputs: []byte(`{"team": "ops"}`), CreatedBy: "dana"}

	boom := errors.New("temporal said no")
	_, err := db.CreateSchedule(ctx, s, func(context.Context) error { return boom })
	require.ErrorIs(t, err, boom)
	_, err = db.Schedule(ctx, "weekly")
	require.ErrorIs(t, err, ErrNotFound, "a failed create stores nothing")

	got, err := db.CreateSchedule(ctx, s, ok)
	require.NoError(t, err)
	require.Equal(t, 2, got.Version)
	require.JSONEq(t, `{"team": "ops"}`, string(got.Inputs))
	_, err = db.CreateSchedule(ctx, s, ok)
	require.ErrorIs(t, err, ErrConflict)

	_, err = db.CreateSchedule(ctx, Schedule{ID: "bad", Definition: "report", Version: 1, Overlap: "skip", Inputs: []byte(`{}`)}, ok)
	require.Error(t, err, "neither cron nor every")

	other := Schedule{ID: "hourly", Definition: "other", Version: 1, Every: "1h", Overlap: "skip", Inputs: []byte(`{}`)}
	_, err = db.CreateSchedule(ctx, other, ok)
	require.NoError(t, err)
	all, err := db.ListSchedules(ctx, "", 0)
	require.NoError(t, err)
	require.Len(t, all, 2)
	mine, err := db.ListSchedules(ctx, "report", 0)
	require.NoError(t, err)
	require.Len(t, mine, 1)

	require.ErrorIs(t, db.DeleteSchedule(ctx, "weekly", func(context.Context) error { return boom }), boom)
	_, err = db.Schedule(ctx, "weekly")
	require.NoError(t, err, "a failed delete keeps the record")
	require.NoError(t, db.DeleteSchedule(ctx, "weekly", ok))
	require.ErrorIs(t, db.DeleteSchedule(ctx, "weekly", ok), ErrNotFound)
}
