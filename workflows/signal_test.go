package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
)

// busyFirst calls an integration before it opens its task.
const busyFirst = `key: busy-first
name: Busy first
roles:
  it: { user: alice }
steps:
  - id: call
    kind: http
    method: POST
    url: https://erp.example.com/po
  - id: details
    kind: task
    title: Pick equipment
    assignee: it
    form:
      - {id: laptop, type: text, required: true}
`

// signalWhileBusy sends a completion of the details task as a signal 1 s into the run,
// while it calls its integration (for call), and reads the state at each probe (or at
// the run's end, when it ended before; 8 s cancels it).
func signalWhileBusy(t *testing.T, version int, call time.Duration, probes ...time.Duration) (states []RunState, result RunResult) {
	h, in := newHarness(t, busyFirst)
	in.Interpreter = version
	h.env.RegisterActivityWithOptions((&sink{}).call, activity.RegisterOptions{Name: ActivityHTTP})
	h.env.OnActivity(ActivityHTTP, mock.Anything, mock.Anything).After(call).Return(HTTPResponse{Status: 200}, nil)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(SignalComplete, CompleteRequest{TaskID: taskID("details"), Actor: "alice", Data: map[string]any{"laptop": "X1"}})
	}, time.Second)
	states = make([]RunState, len(probes))
	for i, p := range probes {
		h.env.RegisterDelayedCallback(func() { states[i] = h.state() }, p)
	}
	h.env.RegisterDelayedCallback(func() { h.env.CancelWorkflow() }, 8*time.Second)
	h.env.ExecuteWorkflow(WorkflowName, in)
	require.True(t, h.env.IsWorkflowCompleted())
	if h.env.GetWorkflowError() == nil { // it ended before 8 s
		require.NoError(t, h.env.GetWorkflowResult(&result))
		for i := range states {
			if states[i].ID == "" {
				states[i] = h.state()
			}
		}
	}
	return states, result
}

// TestSignalTakenAtTheNextRest: from version 3 a completion signal has no coroutine of
// its own and is taken when the run next rests; version 2 took it at once.
func TestSignalTakenAtTheNextRest(t *testing.T) {
	t.Run("the call answers within the grace period", func(t *testing.T) {
		// A 1.5 s call keeps the run busy (automationGrace): the signal sent at 1 s waits,
		// and applies to the task open at the next rest.
		s, _ := signalWhileBusy(t, 2, 1500*time.Millisecond, 1200*time.Millisecond, 3*time.Second)
		require.Len(t, s[0].Rejected, 1, "version 2 takes the signal at once")
		require.Contains(t, s[0].Rejected[0].Reason, "is not open")
		require.Equal(t, []string{"details"}, stepIDs(s[1].OpenTasks), "and the task waits")

		s, result := signalWhileBusy(t, 3, 1500*time.Millisecond, 1200*time.Millisecond, 3*time.Second)
		require.Empty(t, s[0].Rejected, "version 3 has not taken it while the run works")
		require.Equal(t, StepActive, step(s[0], "call").Status)
		require.Empty(t, s[1].Rejected)
		require.Equal(t, StatusCompleted, s[1].Status, "the signal completed the task at the next rest")
		require.Equal(t, "X1", step(s[1], "details").Data["laptop"])
		require.Equal(t, StatusCompleted, result.Status)
	})
	t.Run("the call outlasts the grace period", func(t *testing.T) {
		// A 5 s call leaves the run at rest after 2 s: the signal is taken then, and
		// refused like version 2's (the task is not open yet).
		s, _ := signalWhileBusy(t, 3, 5*time.Second, 1500*time.Millisecond, 3*time.Second, 6*time.Second)
		require.Empty(t, s[0].Rejected, "not taken while the run works")
		require.Len(t, s[1].Rejected, 1, "taken when the run rests during the call")
		require.Contains(t, s[1].Rejected[0].Reason, "is not open")
		require.Equal(t, []string{"details"}, stepIDs(s[2].OpenTasks), "and the task waits")
	})
}

// TestSignalTakenByARestingBranch: while one branch of a parallel step calls an
// integration, the other rests on its task and takes the signal completing it at once.
func TestSignalTakenByARestingBranch(t *testing.T) {
	const src = `key: branches
name: Branches
roles:
  it: { user: alice }
steps:
  - id: both
    kind: parallel
    branches:
      - steps:
          - {id: call, kind: http, method: POST, url: https://erp.example.com/po}
      - steps:
          - {id: details, kind: task, title: Details, assignee: it}
`
	h, in := newHarness(t, src)
	h.env.RegisterActivityWithOptions((&sink{}).call, activity.RegisterOptions{Name: ActivityHTTP})
	h.env.OnActivity(ActivityHTTP, mock.Anything, mock.Anything).After(10*time.Second).Return(HTTPResponse{Status: 200}, nil)
	var during RunState
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(SignalComplete, CompleteRequest{TaskID: taskID("details"), Actor: "alice"})
	}, time.Second)
	h.env.RegisterDelayedCallback(func() { during = h.state() }, 3*time.Second)
	st, err := h.run(in)
	require.NoError(t, err)
	require.Equal(t, StepCompleted, step(during, "details").Status, "taken while the other branch works")
	require.Equal(t, StepActive, step(during, "call").Status)
	require.Equal(t, StatusCompleted, st.Status)
}
