package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/handoffhq/handoff/definitions"
)

const routing = `key: routing
name: Routing
inputs:
  - {id: amount, type: number, required: true}
  - {id: fast, type: boolean}
roles:
  fin: {user: fiona}
steps:
  - id: route
    kind: decision
    rules:
      - {when: inputs.amount >= 1000, goto: big}
      - {when: inputs.amount >= 100, goto: medium}
    default: small
  - id: small
    kind: set
    values:
      size: '"small"'
    next: done
  - id: medium
    kind: set
    values:
      size: '"medium"'
      double: inputs.amount * 2
    next: done
  - id: big
    title: Check {{ inputs.amount }}
    assignee: fin
    when: '!inputs.fast'
  - id: done
    kind: end
    outcome: routed
    outputs:
      path: steps.route.outcome
`

func TestDecisionSetEndAndWhen(t *testing.T) {
	cases := []struct {
		amount  float64
		fast    bool
		path    string
		skipped bool
	}{
		{50, false, "small", false},
		{500, false, "medium", false},
		{5000, true, "big", true},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			h, in := newHarness(t, routing)
			in.Inputs = map[string]any{"amount": tc.amount, "fast": tc.fast}
			st, err := h.run(in)
			require.NoError(t, err)
			require.Equal(t, "routed", st.Outcome)
			require.Equal(t, tc.path, st.Outputs["path"])
			require.Equal(t, tc.path, step(st, "route").Outcome)
			if tc.path == "medium" {
				require.Equal(t, map[string]any{"size": "medium", "double": 1000.0}, step(st, "medium").Data)
			}
			if tc.skipped {
				require.Equal(t, StepSkipped, step(st, "big").Status)
			}
			decision := h.inbox.journal()[0]
			require.Equal(t, JournalDecision, decision.Kind, "the audit journal says why the run went where it went")
			require.Equal(t, tc.path, decision.Detail["goto"])
		})
	}
}

const parallelTmpl = `key: par
name: Parallel
roles:
  a: {user: ann}
  b: {user: ben}
  c: {user: cat}
steps:
  - id: fan
    kind: parallel
    join: JOIN
    branches:
      - id: one
        steps: [{id: t1, title: One, assignee: a}]
      - id: two
        steps: [{id: t2, title: Two, assignee: b}]
      - id: three
        steps: [{id: t3, title: Three, assignee: c}]
  - {id: next, title: Next, assignee: a}
`

func TestParallelJoins(t *testing.T) {
	cases := []struct {
		join      string
		complete  []string
		cancelled []string
	}{
		{"all", []string{"t1", "t2", "t3"}, nil},
		{"any", []string{"t2"}, []string{"t1", "t3"}},
		{"2", []string{"t3", "t1"}, []string{"t2"}},
	}
	for _, tc := range cases {
		t.Run(tc.join, func(t *testing.T) {
			h, in := newHarness(t, replace(parallelTmpl, "JOIN", tc.join))
			var opened RunState
			h.at(time.Second, func() { opened = h.state() })
			var last *outcome
			for i, task := range tc.complete {
				h.at(time.Duration(i+1)*time.Minute, func() { last = h.admin(task, "", nil) })
			}
			h.at(time.Hour, func() { h.env.CancelWorkflow() })
			st, _ := h.run(in)
			require.Len(t, opened.OpenTasks, 3, "the branches run concurrently")
			require.NoError(t, last.err)
			require.Equal(t, []string{"next"}, stepIDs(last.result.Run.OpenTasks), "the join answers with the next task")
			require.Equal(t, StepCompleted, step(st, "fan").Status)
			for _, id := range tc.cancelled {
				require.Equal(t, StepCancelled, step(st, id).Status, id)
				require.Contains(t, closedAs(h.inbox, TaskCancelled), taskID(id), "its task leaves the inboxes")
			}
		})
	}
}

func TestWaits(t *testing.T) {
	src := `key: waits
name: Waits
inputs:
  - {id: start, type: date, required: true}
steps:
  - id: pause
    kind: wait
    for: 2 hours
  - id: until_start
    kind: wait
    until: inputs.start
  - id: signed
    kind: wait
    event: contract-signed
    timeout: 3 days
    on_timeout: chase
    form:
      - {id: signer, type: text, required: true}
  - id: signed_ok
    kind: end
    outcome: signed
  - id: chase
    kind: end
    outcome: chased
`
	start := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	t.Run("event", func(t *testing.T) {
		h, in := newHarness(t, src)
		h.env.SetStartTime(start)
		in.Inputs = map[string]any{"start": "2027-01-06"}
		var bad, first, dup *updateOutcome
		h.at(50*time.Hour, func() {
			bad = h.update(UpdateEvent, EventRequest{ID: "e0", Name: "contract-signed", Data: map[string]any{}})
			first = h.update(UpdateEvent, EventRequest{ID: "e1", Name: "contract-signed", Data: map[string]any{"signer": "Vic"}})
		})
		h.at(51*time.Hour, func() {
			dup = h.update(UpdateEvent, EventRequest{ID: "e1", Name: "contract-signed", Data: map[string]any{"signer": "Vic"}})
		})
		st, err := h.run(in)
		require.NoError(t, err)
		require.Contains(t, fieldErrors(t, bad.err), "signer")
		require.NoError(t, first.err)
		require.False(t, first.value.(EventResult).Duplicate)
		require.Equal(t, "signed", st.Outcome)
		require.Equal(t, "Vic", step(st, "signed").Data["signer"])
		require.Equal(t, start.Add(2*time.Hour), step(st, "pause").CompletedAt.UTC())
		require.Equal(t, time.Date(2027, 1, 6, 0, 0, 0, 0, time.UTC), step(st, "until_start").CompletedAt.UTC())
		require.Len(t, st.Events, 1, "a second delivery of the same event changes nothing")
		_ = dup // the run has ended by then; the update is rejected or answered duplicate
	})
	t.Run("timeout", func(t *testing.T) {
		h, in := newHarness(t, src)
		h.env.SetStartTime(start)
		in.Inputs = map[string]any{"start": "2027-01-05"}
		st, err := h.run(in)
		require.NoError(t, err)
		require.Equal(t, "chased", st.Outcome)
		require.Equal(t, OutcomeTimeout, step(st, "signed").Outcome)
		require.Equal(t, time.Date(2027, 1, 8, 0, 0, 0, 0, time.UTC), step(st, "signed").CompletedAt.UTC())
	})
}

func TestSubprocess(t *testing.T) {
	parent := `key: parent
name: Parent
inputs:
  - {id: n, type: number, required: true}
steps:
  - id: child
    kind: subprocess
    definition: child
    inputs:
      n: inputs.n
  - id: done
    kind: end
    outcome: ok
    outputs:
      got: steps.child.data.doubled
`
	child := `key: child
name: Child
inputs:
  - {id: n, type: number, required: true}
  - {id: slow, type: boolean}
steps:
  - id: nap
    kind: wait
    for: 1 day
    when: inputs.slow
  - id: end
    kind: end
    outcome: child-done
    outputs:
      doubled: inputs.n * 2
`
	childProg, err := definitions.Compile([]byte(child))
	require.NoError(t, err)
	load := func(_ context.Context, req LoadDefinitionRequest) (LoadedDefinition, error) {
		if req.Key != "child" {
			return LoadedDefinition{}, errors.New("unknown definition")
		}
		return LoadedDefinition{Program: childProg, Version: 3}, nil
	}
	t.Run("outputs become step data", func(t *testing.T) {
		h, in := newHarness(t, parent)
		h.env.RegisterActivityWithOptions(load, activity.RegisterOptions{Name: ActivityLoadDefinition})
		in.Inputs = map[string]any{"n": 21.0}
		st, err := h.run(in)
		require.NoError(t, err)
		require.Equal(t, 42.0, st.Outputs["got"])
		require.Equal(t, "child-done", step(st, "child").Outcome)
	})
	t.Run("cancelling the parent cancels the child", func(t *testing.T) {
		src := replace(parent, "n: inputs.n", "n: inputs.n\n      slow: 'true'")
		h, in := newHarness(t, src)
		h.env.RegisterActivityWithOptions(load, activity.RegisterOptions{Name: ActivityLoadDefinition})
		in.Inputs = map[string]any{"n": 1.0}
		h.at(time.Hour, func() { h.env.CancelWorkflow() })
		st, err := h.run(in)
		require.True(t, temporal.IsCanceledError(err), "%v", err)
		require.Equal(t, StepCancelled, step(st, "child").Status)
		var childStatus string
		for _, s := range h.inbox.syncs {
			if s.Run != nil && s.Run.ID == "default-test-workflow-id.child" {
				childStatus = s.Run.Status
			}
		}
		require.Equal(t, StatusCancelled, childStatus, "the child run recorded itself cancelled")
	})
	t.Run("the parent's cancel reason reaches the child", func(t *testing.T) {
		src := replace(parent, "n: inputs.n", "n: inputs.n\n      slow: 'true'")
		h, in := newHarness(t, src)
		h.env.RegisterActivityWithOptions(load, activity.RegisterOptions{Name: ActivityLoadDefinition})
		in.Inputs = map[string]any{"n": 1.0}
		h.at(time.Hour, func() {
			h.env.SignalWorkflow(SignalCancelReason, CancelNotice{Reason: "the vendor withdrew", By: "ada"})
			h.env.CancelWorkflow()
		})
		st, err := h.run(in)
		require.True(t, temporal.IsCanceledError(err), "%v", err)
		require.Equal(t, &CancelNotice{Reason: "the vendor withdrew", By: "ada"}, st.Cancellation)
		var childJournal []JournalEntry
		for _, s := range h.inbox.syncs {
			if s.Run != nil && s.Run.ID == "default-test-workflow-id.child" {
				childJournal = append(childJournal, s.Journal...)
			}
		}
		var reasons []any
		for _, j := range childJournal {
			if j.Kind == JournalCancelled {
				reasons = append(reasons, j.Detail["reason"], j.Detail["by"], j.Detail["by_run"])
			}
		}
		require.Equal(t, []any{"the vendor withdrew", "ada", "default-test-workflow-id"}, reasons,
			"the child's audit says why, who, and which run cancelled it")
	})
	t.Run("a definition that is not published fails the step with a clear error", func(t *testing.T) {
		h, in := newHarness(t, replace(parent, "definition: child", "definition: vendor-onboarding"))
		h.env.RegisterActivityWithOptions(func(context.Context, LoadDefinitionRequest) (LoadedDefinition, error) {
			return LoadedDefinition{}, temporal.NewNonRetryableApplicationError("definition vendor-onboarding is not published", "UnknownDefinition", nil)
		}, activity.RegisterOptions{Name: ActivityLoadDefinition})
		in.Inputs = map[string]any{"n": 1.0}
		st, err := h.run(in)
		require.ErrorContains(t, err, "the subprocess cannot start: definition vendor-onboarding is not published")
		require.Equal(t, StepFailed, step(st, "child").Status)
		require.Equal(t, "the subprocess cannot start: definition vendor-onboarding is not published", step(st, "child").Error)
	})
	t.Run("on_failure handles a subprocess that cannot start", func(t *testing.T) {
		prog, err := definitions.Compile([]byte(replace(parent, "definition: child", "definition: vendor-onboarding")))
		require.NoError(t, err)
		prog.Steps[0].OnFailure = &definitions.OnFailure{Action: definitions.FailureGoto, Goto: "done"}
		h, in := newHarness(t, twoTasks)
		in.Program = prog
		h.env.RegisterActivityWithOptions(func(context.Context, LoadDefinitionRequest) (LoadedDefinition, error) {
			return LoadedDefinition{}, temporal.NewNonRetryableApplicationError("definition vendor-onboarding is not published", "UnknownDefinition", nil)
		}, activity.RegisterOptions{Name: ActivityLoadDefinition})
		in.Inputs = map[string]any{"n": 1.0}
		st, err := h.run(in)
		require.Error(t, err, "the end step reads steps.child.data.doubled, which the failed step never saved")
		require.Equal(t, StepFailed, step(st, "child").Status)
		require.Contains(t, step(st, "child").Error, "not published")
		require.Equal(t, StepFailed, step(st, "done").Status, "the run jumped to done")
	})
}

func stepIDs(tasks []Task) []string {
	out := make([]string, 0, len(tasks))
	for _, t := range tasks {
		out = append(out, t.StepID)
	}
	return out
}

// closedAs lists the ids of tasks the run closed with the status.
func closedAs(i *inbox, status string) []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	var out []string
	for _, s := range i.syncs {
		for _, t := range s.Close {
			if t.Status == status {
				out = append(out, t.ID)
			}
		}
	}
	return out
}
