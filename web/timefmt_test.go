package web

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDueWords(t *testing.T) {
	now := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	for _, tt := range []struct {
		due  *time.Time
		want string
	}{
		{nil, "no due date"},
		{at(20 * time.Second), "due now"},
		{at(12 * time.Minute), "due in 12 min"},
		{at(2*time.Hour + 59*time.Minute), "due in 3 h"},
		{at(3 * time.Hour), "due in 3 h"},
		{at(23*time.Hour + 40*time.Minute), "due in 1 day"},
		{at(36 * time.Hour), "due in 1 day"},
		{at(5*24*time.Hour + time.Hour), "due in 5 days"},
		{at(-30 * time.Second), "due just now"},
		{at(-45 * time.Minute), "45 min overdue"},
		{at(-5 * time.Hour), "5 h overdue"},
		{at(-(2*24*time.Hour + 3*time.Hour)), "2 days overdue"},
	} {
		require.Equal(t, tt.want, dueWords(tt.due, now))
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	require.NoError(t, err)
	require.Equal(t, "Mon 1 Mar 2027, 21:00 JST", when(now, tokyo), "in the person's time zone")
}

// TestSafeNext: the page to return to after signing in is a path of this site, never
// another site's.
func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"": "/", "/": "/", "/?status=any": "/?status=any", "//evil.example/x": "/", `/\evil.example`: "/",
		"https://evil.example/": "/", "javascript:alert(1)": "/", "inbox": "/",
	} {
		require.Equal(t, want, safeNext(in), in)
	}
}
