package workflows

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
)

const twoTasks = `key: equipment-request
name: Equipment request
summary: "Equipment for {{ inputs.employee }}"
inputs:
  - id: employee
    type: text
    required: true
roles:
  it: { user: alice }
  finance: { group: finance }
steps:
  - id: details
    kind: task
    title: "Pick equipment for {{ inputs.employee }}"
    assignee: it
    form:
      - id: laptop
        type: text
        required: true
      - id: monitors
        type: number
        min: 0
        max: 4
  - id: budget
    kind: task
    title: Approve the budget
    assignee: finance
    form:
      - id: cost
        type: number
        required: true
`

// inbox records what the interpreter writes to the projection.
type inbox struct {
	mu    sync.Mutex
	syncs []InboxSync
	local []bool // whether each write ran as a local activity
}

func (i *inbox) SyncInbox(ctx context.Context, s InboxSync) (InboxResult, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.syncs = append(i.syncs, s)
	i.local = append(i.local, activity.GetInfo(ctx).IsLocalActivity)
	res := InboxResult{Assignees: [][]string{}}
	for _, o := range s.Open {
		assignees := append([]string{}, o.Task.Assignees...)
		for _, u := range o.ManagerOf {
			assignees = append(assignees, "manager-of-"+u)
		}
		res.Assignees = append(res.Assignees, assignees)
	}
	return res, nil
}

// notifications lists the notifications queued so far, as "event:task:recipients".
func (i *inbox) notifications() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	var out []string
	for _, s := range i.syncs {
		for _, n := range s.Notify {
			out = append(out, n.Event+":"+n.TaskID+":"+strings.Join(append(append([]string{}, n.Users...), n.Groups...), ","))
		}
	}
	return out
}

// journal lists the journal entries written so far.
func (i *inbox) journal() []JournalEntry {
	i.mu.Lock()
	defer i.mu.Unlock()
	var out []JournalEntry
	for _, s := range i.syncs {
		out = append(out, s.Journal...)
	}
	return out
}

// harness runs one definition in the Temporal testsuite.
type harness struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	inbox *inbox
}

func newHarness(t *testing.T, src string) (*harness, RunInput) {
	t.Helper()
	prog, err := definitions.Compile([]byte(src))
	require.NoError(t, err)
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	h := &harness{t: t, env: env, inbox: &inbox{}}
	env.RegisterWorkflowWithOptions(NewInterpreter(definitions.NewEngine()).Run, workflow.RegisterOptions{Name: WorkflowName})
	env.RegisterActivityWithOptions(h.inbox.SyncInbox, activity.RegisterOptions{Name: ActivitySyncInbox})
	env.RegisterActivityWithOptions(lookupUser, activity.RegisterOptions{Name: ActivityLookupUser})
	return h, RunInput{Program: prog, Version: 1, Inputs: map[string]any{"employee": "Jane"}, StartedBy: "admin"}
}

// directory is the people LookupUser knows in these tests: bob is in finance, admin is an admin.
var directory = map[string]DirectoryUser{
	"alice":   {ID: "alice", Found: true, Groups: []string{"hr"}},
	"bob":     {ID: "bob", Found: true, Groups: []string{"finance"}},
	"mallory": {ID: "mallory", Found: true},
	"admin":   {ID: "admin", Found: true, Admin: true},
}

func lookupUser(_ context.Context, id string) (DirectoryUser, error) {
	if u, ok := directory[id]; ok {
		return u, nil
	}
	return DirectoryUser{ID: id}, nil
}

// state queries the run state.
func (h *harness) state() RunState {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(QueryState)
	require.NoError(h.t, err)
	var s RunState
	require.NoError(h.t, v.Get(&s))
	return s
}

// outcome is what an update came to.
type outcome struct {
	result CompleteResult
	err    error
}

// complete sends the completion update; the testsuite answers asynchronously, so the
// outcome is filled in by the time the workflow has finished.
func (h *harness) complete(req CompleteRequest) *outcome {
	o := &outcome{}
	h.env.UpdateWorkflow(UpdateComplete, "", &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(err error) { o.err = err },
		OnComplete: func(v any, err error) {
			if err != nil {
				o.err = err
				return
			}
			o.err = decodeAs(v, &o.result)
		},
	}, req)
	return o
}

// decodeAs decodes an answer as the API does (its JSON), so that a brief version 3
// answer (brief.go) reads as the type whose names it shares.
func decodeAs(v, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// update sends any update; its result or error is filled in asynchronously.
type updateOutcome struct {
	value any
	err   error
}

func (h *harness) update(name string, arg any) *updateOutcome {
	o := &updateOutcome{}
	h.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept:   func() {},
		OnReject:   func(err error) { o.err = err },
		OnComplete: func(v any, err error) { o.value, o.err = v, err },
	}, arg)
	return o
}

// at runs fn when the workflow clock has advanced by d from the start.
func (h *harness) at(d time.Duration, fn func()) { h.env.RegisterDelayedCallback(fn, d) }

// run executes the workflow to its end and returns its final state.
func (h *harness) run(in RunInput) (RunState, error) {
	h.env.ExecuteWorkflow(WorkflowName, in)
	require.True(h.t, h.env.IsWorkflowCompleted())
	return h.state(), h.env.GetWorkflowError()
}

// step finds a step's state.
func step(st RunState, id string) StepState {
	for _, s := range st.Steps {
		if s.ID == id {
			return s
		}
	}
	return StepState{}
}

// admin completes a task as an admin with the given data and outcome.
func (h *harness) admin(task, outcome string, data map[string]any) *outcome {
	return h.complete(CompleteRequest{TaskID: taskID(task), Actor: "admin", Admin: true, Outcome: outcome, Data: data})
}

// taskID is the id the interpreter gives a step's first task in the testsuite.
func taskID(step string) string { return "default-test-workflow-id." + step }

func TestTwoTasks(t *testing.T) {
	h, in := newHarness(t, twoTasks)
	var (
		first                  RunState
		mallory, invalid, good *outcome
		bobNoGroup, bob        *outcome
		afterFirst             RunState
	)
	h.env.RegisterDelayedCallback(func() {
		first = h.state()
		mallory = h.complete(CompleteRequest{TaskID: taskID("details"), Actor: "mallory", Data: map[string]any{"laptop": "x"}})
		invalid = h.complete(CompleteRequest{TaskID: taskID("details"), Actor: "alice", Data: map[string]any{"monitors": 9.0}})
	}, time.Second)
	h.env.RegisterDelayedCallback(func() {
		require.Len(t, h.state().OpenTasks, 1, "rejected completions change nothing")
		good = h.complete(CompleteRequest{TaskID: taskID("details"), Actor: "alice", Data: map[string]any{"laptop": "X1", "monitors": 2.0}})
	}, 2*time.Second)
	h.env.RegisterDelayedCallback(func() {
		afterFirst = h.state()
		bobNoGroup = h.complete(CompleteRequest{TaskID: taskID("budget"), Actor: "bob", Data: map[string]any{"cost": 10.0}})
	}, 3*time.Second)
	h.env.RegisterDelayedCallback(func() {
		bob = h.complete(CompleteRequest{TaskID: taskID("budget"), Actor: "bob", ActorGroups: []string{"finance"}, Data: map[string]any{"cost": 10.0}})
	}, 4*time.Second)

	h.env.ExecuteWorkflow(WorkflowName, in)
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())

	require.Len(t, first.OpenTasks, 1)
	require.Equal(t, "Pick equipment for Jane", first.OpenTasks[0].Title)
	require.Equal(t, []string{"alice"}, first.OpenTasks[0].Assignees)
	require.ErrorContains(t, mallory.err, "may not complete")
	require.ErrorContains(t, invalid.err, "invalid")
	require.NoError(t, good.err)
	require.Len(t, good.result.Run.OpenTasks, 1, "the completion answers with the next task")
	require.Equal(t, "budget", good.result.Run.OpenTasks[0].StepID)
	require.Equal(t, []string{"finance"}, afterFirst.OpenTasks[0].CandidateGroups)
	require.ErrorContains(t, bobNoGroup.err, "may not complete", "bob is not in the finance group here")
	require.NoError(t, bob.err)
	require.Equal(t, StatusCompleted, bob.result.Run.Status)

	var result RunResult
	require.NoError(t, h.env.GetWorkflowResult(&result))
	require.Equal(t, StatusCompleted, result.Status)
	final := h.state()
	require.Len(t, final.Steps, 2)
	require.Equal(t, "X1", final.Steps[0].Data["laptop"])
	require.Equal(t, "alice", final.Steps[0].CompletedBy)

	// start (run + task 1), task 1 → task 2, task 2 closed with the run: three writes.
	require.Len(t, h.inbox.syncs, 3)
	require.NotNil(t, h.inbox.syncs[0].Run)
	require.Len(t, h.inbox.syncs[1].Close, 1)
	require.Len(t, h.inbox.syncs[1].Open, 1)
	require.Equal(t, StatusCompleted, h.inbox.syncs[2].Run.Status)
}

func TestIdempotentCompletion(t *testing.T) {
	h, in := newHarness(t, twoTasks)
	var first, again *outcome
	req := CompleteRequest{TaskID: taskID("details"), Actor: "alice", IdempotencyKey: "k1", Data: map[string]any{"laptop": "X1"}}
	h.env.RegisterDelayedCallback(func() { first = h.complete(req) }, time.Second)
	h.env.RegisterDelayedCallback(func() { again = h.complete(req) }, 2*time.Second)
	h.env.RegisterDelayedCallback(func() { h.env.CancelWorkflow() }, 3*time.Second)
	h.env.ExecuteWorkflow(WorkflowName, in)
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, first.err)
	require.NoError(t, again.err, "a repeated key is answered, not rejected")
	require.Equal(t, first.result, again.result)
}

func TestSignalCompletion(t *testing.T) {
	h, in := newHarness(t, twoTasks)
	var rejected, moved RunState
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(SignalComplete, CompleteRequest{TaskID: taskID("details"), Actor: "alice", Data: map[string]any{}})
	}, time.Second)
	h.env.RegisterDelayedCallback(func() {
		rejected = h.state()
		h.env.SignalWorkflow(SignalComplete, CompleteRequest{TaskID: taskID("details"), Actor: "alice", Data: map[string]any{"laptop": "X1"}})
	}, 2*time.Second)
	h.env.RegisterDelayedCallback(func() {
		moved = h.state()
		h.env.CancelWorkflow()
	}, 3*time.Second)
	h.env.ExecuteWorkflow(WorkflowName, in)
	require.True(t, h.env.IsWorkflowCompleted())
	require.Len(t, rejected.Rejected, 1, "a signal missing a required field is recorded as rejected")
	require.Equal(t, "laptop", rejected.Rejected[0].Details[0].Field)
	require.Len(t, rejected.OpenTasks, 1)
	require.Equal(t, "budget", moved.OpenTasks[0].StepID, "the accepted signal moved the run on")
}

// TestSignalCompletesGroupTask: a completion signalled from the Temporal CLI names its
// actor only; the run looks them up in the directory, so a group task can be completed by
// a member of the group, and nobody else (a group claimed from the signal is not believed).
func TestSignalCompletesGroupTask(t *testing.T) {
	h, in := newHarness(t, twoTasks)
	var refused RunState
	h.at(time.Second, func() {
		h.env.SignalWorkflow(SignalComplete, CompleteRequest{TaskID: taskID("details"), Actor: "alice", Data: map[string]any{"laptop": "X1"}})
	})
	h.at(2*time.Second, func() {
		h.env.SignalWorkflow(SignalComplete, CompleteRequest{TaskID: taskID("budget"), Actor: "mallory", ActorGroups: []string{"finance"},
			Data: map[string]any{"cost": 1.0}})
		h.env.SignalWorkflow(SignalComplete, CompleteRequest{TaskID: taskID("budget"), Actor: "ghost", Data: map[string]any{"cost": 1.0}})
	})
	h.at(3*time.Second, func() {
		refused = h.state()
		h.env.SignalWorkflow(SignalComplete, CompleteRequest{TaskID: taskID("budget"), Actor: "bob", Data: map[string]any{"cost": 10.0}})
	})
	st, err := h.run(in)
	require.NoError(t, err)
	require.Equal(t, StatusCompleted, st.Status, "bob, in finance, completed the group task by signal")
	require.Equal(t, "bob", step(st, "budget").CompletedBy)
	require.Len(t, refused.Rejected, 2)
	require.Contains(t, refused.Rejected[0].Reason, "mallory may not complete", "a group named in the signal is not believed")
	require.Contains(t, refused.Rejected[1].Reason, "ghost is not a user")
}

// fieldErrors returns the field errors of an InvalidForm rejection as field → message.
func fieldErrors(t *testing.T, err error) map[string]string {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.Equal(t, ErrTypeInvalidForm, appErr.Type())
	var details []definitions.FieldError
	require.NoError(t, appErr.Details(&details))
	out := map[string]string{}
	for _, d := range details {
		out[d.Field] = d.Message
	}
	return out
}
