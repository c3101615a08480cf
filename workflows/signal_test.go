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

// signalWhileBusy sends a completion of the details task as a signal while the run is
// calling its integration (1 s into a 5 s call), and reads the state at 3 s and at 8 s
// (or at its end, when it ended before; 8 s cancels it).
func signalWhileBusy(t *testing.T, version int) (during, after RunState, result RunResult) {
	h, in := newHarness(t, busyFirst)
	in.Interpreter = version
	h.env.RegisterActivityWithOptions((&sink{}).call, activity.RegisterOptions{Name: ActivityHTTP})
	h.env.OnActivity(ActivityHTTP, mock.Anything, mock.Anything).After(5*time.Second).Return(HTTPResponse{Status: 200}, nil)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(SignalComplete, CompleteRequest{TaskID: taskID("details"), Actor: "alice", Data: map[string]any{"laptop": "X1"}})
	}, time.Second)
	h.env.RegisterDelayedCallback(func() { during = h.state() }, 3*time.Second)
	h.env.RegisterDelayedCallback(func() { after = h.state(); h.env.CancelWorkflow() }, 8*time.Second)
	h.env.ExecuteWorkflow(WorkflowName, in)
	require.True(t, h.env.IsWorkflowCompleted())
	if h.env.GetWorkflowError() == nil { // it ended before 8 s
		require.NoError(t, h.env.GetWorkflowResult(&result))
		after = h.state()
	}
	return during, after, result
}

// TestSignalTakenAtTheNextRest: from version 3 a completion signal has no coroutine of
// its own and is taken when the run next rests. One sent while the run calls an
// integration waits in the channel and applies to the tasks open at the next rest;
// version 2 took it at once and refused it (the task was not open yet).
func TestSignalTakenAtTheNextRest(t *testing.T) {
	during, after, _ := signalWhileBusy(t, 2)
	require.Len(t, during.Rejected, 1, "version 2 takes the signal at once")
	require.Contains(t, during.Rejected[0].Reason, "is not open")
	require.Equal(t, []string{"details"}, stepIDs(after.OpenTasks), "and the task waits")

	during, after, result := signalWhileBusy(t, 3)
	require.Empty(t, during.Rejected, "version 3 has not taken it while the run works")
	require.Equal(t, StepActive, step(during, "call").Status)
	require.Empty(t, after.Rejected)
	require.Equal(t, StatusCompleted, after.Status, "the signal completed the task at the next rest")
	require.Equal(t, "X1", step(after, "details").Data["laptop"])
	require.Equal(t, StatusCompleted, result.Status)
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
