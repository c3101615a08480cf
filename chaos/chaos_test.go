package chaos

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/workflows"
)

// TestSinkPerformsOncePerKey: every attempt is counted, the effect happens once per
// Idempotency-Key, and a held request performs its effect only when released.
func TestSinkPerformsOncePerKey(t *testing.T) {
	t.Parallel()
	s, err := startSink()
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.close() })
	post := func(key string) string {
		req, err := http.NewRequest("POST", s.url, nil)
		require.NoError(t, err)
		req.Header.Set("Idempotency-Key", key)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return string(b)
	}
	first := post("r/file/1")
	require.Equal(t, first, post("r/file/1"), "a retry gets the first effect")
	require.NotEqual(t, first, post("r/file/2"))

	held, release := s.holdNext()
	answered := make(chan string)
	go func() { answered <- post("r/file/3") }()
	require.Equal(t, "r/file/3", <-held)
	_, tickets, _ := s.snapshot()
	require.NotContains(t, tickets, "r/file/3", "no effect while held")
	release()
	require.Contains(t, <-answered, "T-3")
	attempts, tickets, noKey := s.snapshot()
	require.Equal(t, map[string]int{"r/file/1": 2, "r/file/2": 1, "r/file/3": 1}, attempts)
	require.Len(t, tickets, 3)
	require.Zero(t, noKey)
}

// TestProxyDelaysAndCuts: bytes go through, late when delayed, and a cut closes the
// connection.
func TestProxyDelaysAndCuts(t *testing.T) {
	t.Parallel()
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = echo.Close() })
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c) }()
		}
	}()
	p, err := startProxy(echo.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.close() })
	c, err := net.Dial("tcp", p.addr())
	require.NoError(t, err)
	defer c.Close()
	roundTrip := func() (time.Duration, error) {
		began := time.Now()
		if _, err := c.Write([]byte("ping")); err != nil {
			return 0, err
		}
		buf := make([]byte, 4)
		_, err := io.ReadFull(c, buf)
		return time.Since(began), err
	}
	_, err = roundTrip()
	require.NoError(t, err)
	p.setDelay(100 * time.Millisecond)
	took, err := roundTrip()
	require.NoError(t, err)
	require.GreaterOrEqual(t, took, 200*time.Millisecond, "held 100 ms each way")
	p.cut()
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = roundTrip()
	require.Error(t, err, "the cut connection is closed")
}

// TestTimerFindings: one firing at or after its time passes; early, repeated and missing
// firings are findings; the same entry carried by two writes is a repeat, not a second firing.
func TestTimerFindings(t *testing.T) {
	t.Parallel()
	due := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	opened := workflows.InboxSync{Open: []workflows.TaskOpening{{Task: workflows.Task{ID: "r.t", DueAt: &due}}}}
	entry := func(kind string, at time.Time) workflows.InboxSync {
		return workflows.InboxSync{Journal: []workflows.JournalEntry{{At: at, Kind: kind, Task: "r.t"}}}
	}
	overdue := entry(workflows.JournalOverdue, due.Add(time.Second))
	escalated := entry(workflows.JournalEscalation, due.Add(escalationAfter))
	tests := []struct {
		name     string
		syncs    []workflows.InboxSync
		must     bool
		findings int
		repeats  int
	}{
		{"fired once each", []workflows.InboxSync{opened, overdue, escalated}, true, 0, 0},
		{"not due yet, nothing required", []workflows.InboxSync{opened}, false, 0, 0},
		{"required and missing", []workflows.InboxSync{opened}, true, 2, 0},
		{"early", []workflows.InboxSync{opened, entry(workflows.JournalOverdue, due.Add(-time.Millisecond)), escalated}, false, 1, 0},
		{"fired twice", []workflows.InboxSync{opened, overdue, entry(workflows.JournalOverdue, due.Add(time.Minute))}, false, 1, 0},
		{"one firing written twice", []workflows.InboxSync{opened, overdue, overdue, escalated}, true, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			findings, repeats := timerFindings(runHistory{id: "r", syncs: tt.syncs}, tt.must)
			require.Len(t, findings, tt.findings, "%v", findings)
			require.Equal(t, tt.repeats, repeats)
		})
	}
}
