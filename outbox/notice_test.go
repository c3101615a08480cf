package outbox

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDueText: a task email shows the due time in the definition's time zone.
func TestDueText(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	require.Equal(t, "Wed 4 Mar 2026 09:00 UTC", dueText(due, ""))
	require.Equal(t, "Wed 4 Mar 2026 09:00 UTC", dueText(due, "UTC"))
	require.Equal(t, "Wed 4 Mar 2026 10:00 CET (Europe/Paris)", dueText(due, "Europe/Paris"))
	require.Equal(t, "Wed 4 Mar 2026 04:00 EST (America/New_York)", dueText(due, "America/New_York"))
	require.Equal(t, "Wed 4 Mar 2026 09:00 UTC", dueText(due, "Mars/Olympus"), "an unknown zone reads as UTC")
}
