package workflows

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

const loop = `key: loop
name: Loop
roles:
  ops: {user: olga}
steps:
  - id: work
    title: Work
    assignee: ops
    due: 1 day
    reminders:
      - {before: 1 hour}
    next: work
    max_rounds: 100
  - id: done
    kind: end
    outcome: finished
`

// continued runs one execution of the loop and returns the input it continued with.
func continued(t *testing.T, err error) RunInput {
	t.Helper()
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(err, &can), "want continue-as-new, got %v", err)
	var next RunInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.Resume)
	return next
}

func TestContinueAsNewCarriesEverything(t *testing.T) {
	// First execution: complete rounds until the history passes the threshold.
	h, in := newHarness(t, loop)
	key := func(n int) string { return fmt.Sprintf("key-%d", n) }
	id := func(n int) string {
		if n == 1 {
			return taskID("work")
		}
		return fmt.Sprintf("%s.%d", taskID("work"), n)
	}
	for n := 1; n <= 11; n++ {
		h.at(time.Duration(n)*time.Minute, func() {
			if n == 11 {
				h.env.SetContinueAsNewSuggested(true) // as Temporal does past 4,096 events
			}
			h.complete(CompleteRequest{TaskID: id(n), Actor: "olga", IdempotencyKey: key(n)})
		})
	}
	_, err := h.run(in)
	next := continued(t, err)
	carried := next.Resume.State
	require.Len(t, carried.OpenTasks, 1, "the open task is carried")
	open := carried.OpenTasks[0]
	require.NotNil(t, open.DueAt, "with its absolute deadline")
	round := carried.Steps[0].Round
	require.Greater(t, round, 1)
	require.NotEmpty(t, next.Resume.Results, "processed idempotency keys are carried")
	require.Equal(t, round-1, next.Resume.Jumps["work>work"])

	// Second execution: the same task is still open; a repeated key is answered from the
	// carried results; the reminder fires once, at its original time.
	h2, _ := newHarness(t, loop)
	h2.env.SetStartTime(open.CreatedAt.Add(time.Minute))
	var again *outcome
	var state RunState
	h2.at(time.Second, func() {
		state = h2.state()
		again = h2.complete(CompleteRequest{TaskID: id(1), Actor: "olga", IdempotencyKey: key(1)})
	})
	h2.at(24*time.Hour, func() {
		h2.complete(CompleteRequest{TaskID: open.ID, Actor: "olga"})
	})
	h2.at(25*time.Hour, func() { h2.env.CancelWorkflow() })
	_, _ = h2.run(next)
	require.Equal(t, []string{open.ID}, taskIDs(state.OpenTasks), "the carried task is taken up, not opened again")
	require.NoError(t, again.err, "an idempotency key from before continue-as-new is still answered")
	for _, s := range h2.inbox.syncs {
		for _, o := range s.Open {
			require.NotEqual(t, open.ID, o.Task.ID, "the carried task is not written again as new")
		}
	}
	var reminders []time.Time
	for _, e := range h2.inbox.journal() {
		if e.Kind == JournalReminder && e.Task == open.ID {
			reminders = append(reminders, e.At.UTC())
		}
	}
	require.Equal(t, []time.Time{open.DueAt.Add(-time.Hour).UTC()}, reminders, "the reminder survives at its absolute time")
}

func taskIDs(tasks []Task) []string {
	out := make([]string, 0, len(tasks))
	for _, t := range tasks {
		out = append(out, t.ID)
	}
	return out
}
