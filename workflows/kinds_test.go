package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"

	"github.com/handoffhq/handoff/definitions"
)

// The kind cross-check: every step kind runs through the interpreter, and
// every key it stores in its step data must be one that publish type-checks
// for steps.<id>.data, with the declared type (definitions' kind
// declarations). Issue 13 item 7 was such a drift: http steps stored status,
// and steps.<id>.data.status was refused at publish. This file only reads the
// interpreter: it is owned by the definitions side.

const kindsHappy = `key: kinds
name: Kinds
roles:
  ops: {user: olga}
steps:
  - id: fill
    assignee: ops
    form:
      - {id: n, type: number, required: true}
      - {id: day, type: date}
      - {id: at, type: datetime}
      - {id: tags, type: multi_select, options: [a, b]}
      - {id: items, type: table, fields: [{id: qty, type: number}, {id: what, type: text}]}
      - {id: ok, type: boolean}
      - {id: doc, type: file}
  - id: approve
    kind: approval
    assignee: ops
    form:
      - {id: note, type: long_text}
  - id: route
    kind: decision
    rules:
      - {when: "steps.fill.data.n > 1", goto: fan}
    default: fan
  - id: fan
    kind: parallel
    branches:
      - {id: one, steps: [{id: calc, kind: set, values: {double: "steps.fill.data.n * 2", label: "'x'"}}]}
      - {id: two, steps: [{id: nap, kind: wait, for: 1 hour}]}
  - id: signed
    kind: wait
    event: signed
    form:
      - {id: by, type: user, required: true}
  - id: call
    kind: http
    url: https://erp.example.com/po
    save: {po: response.body.po}
  - id: tell
    kind: notify
    message: "PO {{ steps.call.data.po }} answered {{ steps.call.data.status }}"
    to: ops
  - id: child
    kind: subprocess
    definition: child
    inputs: {n: steps.fill.data.n}
  - id: done
    kind: end
    outcome: done
    outputs:
      status: steps.call.data.status
      doubled: steps.child.data.doubled
      route: steps.route.data.goto
`

const kindsFailing = `key: kinds-failing
name: Kinds failing
steps:
  - id: route
    kind: decision
    rules:
      - {when: "false", goto: call}
    default: call
  - id: call
    kind: http
    url: https://erp.example.com/po
    retry: {attempts: 1}
    on_failure: {goto: tell}
  - id: tell
    kind: notify
    message: "the call failed: {{ steps.call.data.error }}"
    to: requester
    retry: {attempts: 1}
    on_failure: {goto: signed}
  - id: signed
    kind: wait
    event: signed
    timeout: 1 day
    form:
      - {id: by, type: user}
  - id: done
    kind: end
    outcome: gave-up
    outputs:
      why: steps.tell.data.error
`

const kindsChild = `key: child
name: Child
inputs:
  - {id: n, type: number, required: true}
steps:
  - {id: end, kind: end, outcome: child-done, outputs: {doubled: inputs.n * 2}}
`

func TestKindsStoreWhatTheyDeclare(t *testing.T) {
	childProg, err := definitions.Compile([]byte(kindsChild))
	require.NoError(t, err)
	load := func(_ context.Context, req LoadDefinitionRequest) (LoadedDefinition, error) {
		return LoadedDefinition{Program: childProg, Version: 1}, nil
	}
	engine := definitions.NewEngine()
	covered := map[definitions.StepKind]bool{}
	check := func(t *testing.T, in RunInput, st RunState) {
		t.Helper()
		for _, s := range st.Steps {
			require.NotEqual(t, StepPending, s.Status, "step %s did not run", s.ID)
			require.Empty(t, engine.StepDataProblems(in.Program, s.ID, s.Data), "data of %s: %v", s.ID, s.Data)
			covered[definitions.StepKind(s.Kind)] = true
		}
	}
	t.Run("every kind succeeds", func(t *testing.T) {
		h, in := newHarness(t, kindsHappy)
		h.env.RegisterActivityWithOptions((&sink{}).call, activity.RegisterOptions{Name: ActivityHTTP})
		h.env.RegisterActivityWithOptions(func(context.Context, NotifyRequest) error { return nil },
			activity.RegisterOptions{Name: ActivityNotify})
		h.env.RegisterActivityWithOptions(load, activity.RegisterOptions{Name: ActivityLoadDefinition})
		var fill, approve *outcome
		var signed *updateOutcome
		h.at(time.Minute, func() {
			fill = h.admin("fill", "", map[string]any{"n": 3, "day": "2027-01-04", "at": "2027-01-04T09:00:00Z",
				"tags": []any{"a"}, "items": []any{map[string]any{"qty": 2, "what": "desk"}}, "ok": true,
				"doc": map[string]any{"url": "https://files.example.com/a.pdf", "checksum": "sha256:ab12", "size": 10}})
		})
		h.at(2*time.Minute, func() {
			approve = h.complete(CompleteRequest{TaskID: taskID("approve"), Actor: "admin", Admin: true,
				Outcome: definitions.OutcomeApproved, Comment: "fine", Data: map[string]any{"note": "ok"}})
		})
		h.at(2*time.Hour, func() {
			signed = h.update(UpdateEvent, EventRequest{ID: "e1", Name: "signed", Data: map[string]any{"by": "vic"}})
		})
		st, err := h.run(in)
		require.NoError(t, err)
		require.NoError(t, fill.err)
		require.NoError(t, approve.err)
		require.NoError(t, signed.err)
		require.Equal(t, "done", st.Outcome)
		require.Equal(t, map[string]any{"status": 201.0, "doubled": 6.0, "route": "fan"}, st.Outputs)
		check(t, in, st)
	})
	t.Run("failures, defaults and timeouts", func(t *testing.T) {
		h, in := newHarness(t, kindsFailing)
		h.env.RegisterActivityWithOptions((&sink{down: true}).call, activity.RegisterOptions{Name: ActivityHTTP})
		h.env.RegisterActivityWithOptions(func(context.Context, NotifyRequest) error { return errors.New("smtp: refused") },
			activity.RegisterOptions{Name: ActivityNotify})
		st, err := h.run(in)
		require.NoError(t, err)
		require.Equal(t, "gave-up", st.Outcome)
		require.Contains(t, st.Outputs["why"], "smtp: refused")
		require.Equal(t, "default", step(st, "route").Data["rule"])
		check(t, in, st)
	})
	for _, k := range definitions.StepKinds {
		require.True(t, covered[k], "no scenario runs a %s step", k)
	}
}
