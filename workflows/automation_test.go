package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/handoffhq/handoff/definitions"
)

// sink fakes the HTTPCall activity: it fails while down and records every request.
type sink struct {
	mu       sync.Mutex
	down     bool
	requests []HTTPRequest
}

func (s *sink) call(_ context.Context, req HTTPRequest) (HTTPResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
	if s.down {
		return HTTPResponse{}, errors.New("POST " + req.URL + ": 500 Internal Server Error")
	}
	return HTTPResponse{Status: 201, Body: map[string]any{"po": "PO-7", "echo": req.Body}}, nil
}

func (s *sink) setDown(down bool) { s.mu.Lock(); s.down = down; s.mu.Unlock() }

const integration = `key: integ
name: Integration
inputs:
  - {id: item, type: text, required: true}
roles:
  ops: {user: olga}
steps:
  - id: raise
    kind: http
    title: Raise the PO
    method: POST
    url: https://erp.example.com/po
    body:
      item: "{{ inputs.item }}"
      qty: 2
    save:
      po: response.body.po
    retry: {attempts: 2, interval: 1 second}
    on_failure: FAILURE
  - id: done
    kind: end
    outcome: raised
    outputs:
      po: steps.raise.data.po
`

const gaveUp = `  - id: gave_up
    kind: end
    outcome: manual
`

func newIntegration(t *testing.T, failure string) (*harness, RunInput, *sink) {
	src := replace(integration, "FAILURE", failure)
	if strings.Contains(failure, "gave_up") {
		src += gaveUp
	}
	h, in := newHarness(t, src)
	s := &sink{down: true}
	h.env.RegisterActivityWithOptions(s.call, activity.RegisterOptions{Name: ActivityHTTP})
	in.Inputs = map[string]any{"item": "desk"}
	return h, in, s
}

func TestHTTPFixItRetry(t *testing.T) {
	h, in, s := newIntegration(t, "{fix: ops}")
	var fixTask RunState
	h.at(time.Hour, func() {
		fixTask = h.state()
		s.setDown(false)
		h.complete(CompleteRequest{TaskID: taskID("raise.fix1"), Actor: "olga", Outcome: FixRetry})
	})
	st, err := h.run(in)
	require.NoError(t, err)
	require.Equal(t, "raised", st.Outcome)
	require.Equal(t, "PO-7", st.Outputs["po"], "the response is mapped into step data")

	require.Len(t, fixTask.OpenTasks, 1, "exhausted retries open a fix-it task")
	fix := fixTask.OpenTasks[0]
	require.Equal(t, KindFixIt, fix.Kind)
	require.Equal(t, []string{"olga"}, fix.Assignees)
	require.Equal(t, []string{FixRetry, FixSkip, FixEdit}, fix.Outcomes)
	require.Contains(t, fix.Description, "500 Internal Server Error", "the error is shown")

	require.Len(t, s.requests, 3, "two attempts, then one after the retry")
	for _, r := range s.requests {
		require.Equal(t, s.requests[0].IdempotencyKey, r.IdempotencyKey, "the idempotency key is stable across attempts")
	}
	require.Equal(t, map[string]any{"item": "desk", "qty": 2.0}, s.requests[0].Body, "body strings are templates")
	require.Contains(t, journalKinds(h.inbox.journal()), JournalFixIt)
}

func TestHTTPFixItSkipAndEdit(t *testing.T) {
	t.Run("skip", func(t *testing.T) {
		h, in, _ := newIntegration(t, "{fix: ops}")
		var fix Task
		var missing *outcome
		h.at(time.Hour, func() {
			fix = h.state().OpenTasks[0]
			missing = h.complete(CompleteRequest{TaskID: taskID("raise.fix1"), Actor: "olga", Outcome: FixSkip, Data: map[string]any{}})
		})
		h.at(2*time.Hour, func() {
			h.complete(CompleteRequest{TaskID: taskID("raise.fix1"), Actor: "olga", Outcome: FixSkip,
				Data: map[string]any{"po": "MANUAL-1"}})
		})
		st, err := h.run(in)
		require.NoError(t, err)
		require.Equal(t, "MANUAL-1", st.Outputs["po"], "skip supplies the step data by hand")
		require.Equal(t, "skipped", step(st, "raise").Outcome)
		require.Equal(t, []string{"po", "url", "body"}, fieldIDs(fix.Form), "the form asks for what the step saves, and the edits")
		require.Equal(t, "text", fix.Form[0].Type)
		require.Contains(t, fix.Form[0].Help, "steps.raise.data.po")
		require.Contains(t, fieldErrors(t, missing.err)["po"], "required to skip", "a skip without what later steps read is refused")
	})
	t.Run("skip on interpreter version 2: step data as JSON", func(t *testing.T) {
		h, in, _ := newIntegration(t, "{fix: ops}")
		in.Interpreter = 2
		h.at(time.Hour, func() {
			h.complete(CompleteRequest{TaskID: taskID("raise.fix1"), Actor: "olga", Outcome: FixSkip,
				Data: map[string]any{"data": `{"po": "MANUAL-1"}`}})
		})
		st, err := h.run(in)
		require.NoError(t, err)
		require.Equal(t, "MANUAL-1", st.Outputs["po"])
	})
	t.Run("edit", func(t *testing.T) {
		h, in, s := newIntegration(t, "{fix: ops}")
		var bad, none *outcome
		h.at(time.Hour, func() {
			bad = h.complete(CompleteRequest{TaskID: taskID("raise.fix1"), Actor: "olga", Outcome: FixEdit,
				Data: map[string]any{"body": "{not json"}})
			none = h.complete(CompleteRequest{TaskID: taskID("raise.fix1"), Actor: "olga", Outcome: FixEdit, Data: map[string]any{}})
		})
		h.at(2*time.Hour, func() {
			s.setDown(false)
			h.complete(CompleteRequest{TaskID: taskID("raise.fix1"), Actor: "olga", Outcome: FixEdit,
				Data: map[string]any{"url": "https://erp2.example.com/po", "body": `{"item": "desk", "qty": 3}`}})
		})
		st, err := h.run(in)
		require.NoError(t, err)
		require.Equal(t, "raised", st.Outcome)
		last := s.requests[len(s.requests)-1]
		require.Equal(t, "https://erp2.example.com/po", last.URL)
		require.Equal(t, map[string]any{"item": "desk", "qty": 3.0}, last.Body)
		require.Equal(t, s.requests[0].IdempotencyKey, last.IdempotencyKey, "an edit keeps the Idempotency-Key")
		require.Contains(t, fieldErrors(t, bad.err)["body"], "not valid JSON")
		require.Contains(t, fieldErrors(t, none.err)["url"], "needs a corrected url or body")
	})
}

func fieldIDs(form []definitions.Field) []string {
	out := make([]string, len(form))
	for i, f := range form {
		out[i] = f.ID
	}
	return out
}

// renderFails is an http step whose URL reads what an earlier step, skipped, never saved.
const renderFails = `key: render
name: Render
roles:
  ops: {user: olga}
steps:
  - {id: lookup, kind: set, when: run.started_by == "nobody", values: {po_number: '"PO-1"'}}
  - id: call
    kind: http
    url: "https://erp.example.com/po/{{ steps.lookup.data.po_number }}"
    save: {ref: response.body.po}
    on_failure: FAILURE
  - {id: done, kind: end, outcome: called, outputs: {ref: steps.call.data.ref}}
`

// TestRenderFailureTakesOnFailure: a template that does not render is a step failure
// like any other: it opens the fix-it task, jumps, or fails the run with the error; on
// interpreter version 2 it failed the run whatever on_failure said.
func TestRenderFailureTakesOnFailure(t *testing.T) {
	newRender := func(t *testing.T, failure string) (*harness, RunInput, *sink) {
		src := replace(renderFails, "FAILURE", failure)
		if strings.Contains(failure, "gave_up") {
			src += gaveUp
		}
		h, in := newHarness(t, src)
		s := &sink{}
		h.env.RegisterActivityWithOptions(s.call, activity.RegisterOptions{Name: ActivityHTTP})
		return h, in, s
	}
	t.Run("fix", func(t *testing.T) {
		h, in, s := newRender(t, "{fix: ops}")
		var fix RunState
		h.at(time.Hour, func() {
			fix = h.state()
			h.complete(CompleteRequest{TaskID: taskID("call.fix1"), Actor: "olga", Outcome: FixSkip, Data: map[string]any{"ref": "R-1"}})
		})
		st, err := h.run(in)
		require.NoError(t, err)
		require.Equal(t, "called", st.Outcome)
		require.Equal(t, "R-1", st.Outputs["ref"])
		require.Empty(t, s.requests, "nothing was sent")
		require.Len(t, fix.OpenTasks, 1)
		require.Contains(t, fix.OpenTasks[0].Description, "po_number", "the task shows the render error")
		require.Contains(t, step(fix, "call").Error, "render url")
	})
	t.Run("goto", func(t *testing.T) {
		h, in, _ := newRender(t, "{goto: gave_up}")
		st, err := h.run(in)
		require.NoError(t, err)
		require.Equal(t, "manual", st.Outcome)
		require.Equal(t, StepFailed, step(st, "call").Status)
	})
	t.Run("fail", func(t *testing.T) {
		h, in, _ := newRender(t, "fail")
		st, err := h.run(in)
		require.ErrorContains(t, err, "render url")
		require.Equal(t, StepFailed, step(st, "call").Status)
	})
	t.Run("version 2 ignored on_failure", func(t *testing.T) {
		h, in, _ := newRender(t, "{fix: ops}")
		in.Interpreter = 2
		_, err := h.run(in)
		require.ErrorContains(t, err, "render url")
	})
}

// TestHTTPBodyKeepsJSONTypes: a body value that is exactly one expression keeps its
// JSON type; text with several parts stays a string (version 2: every value a string).
func TestHTTPBodyKeepsJSONTypes(t *testing.T) {
	src := `key: typed
name: Typed
inputs:
  - {id: amount, type: number, required: true}
  - {id: temporary, type: boolean, required: true}
  - {id: tags, type: multi_select, options: [a, b]}
steps:
  - id: call
    kind: http
    url: https://erp.example.com/po
    body:
      amount: "{{ inputs.amount }}"
      temporary: "{{ inputs.temporary }}"
      tags: "{{ inputs.tags }}"
      label: "{{ inputs.amount }} EUR"
      nested: {list: ["{{ inputs.amount * 2 }}", fixed]}
`
	for _, tt := range []struct {
		interpreter int
		want        map[string]any
	}{
		{0, map[string]any{"amount": 100.0, "temporary": false, "tags": []any{"a", "b"}, "label": "100 EUR",
			"nested": map[string]any{"list": []any{200.0, "fixed"}}}},
		{2, map[string]any{"amount": "100", "temporary": "false", "tags": "a, b", "label": "100 EUR",
			"nested": map[string]any{"list": []any{"200", "fixed"}}}},
	} {
		h, in := newHarness(t, src)
		in.Interpreter = tt.interpreter
		in.Inputs = map[string]any{"amount": 100.0, "temporary": false, "tags": []any{"a", "b"}}
		s := &sink{}
		h.env.RegisterActivityWithOptions(s.call, activity.RegisterOptions{Name: ActivityHTTP})
		_, err := h.run(in)
		require.NoError(t, err)
		require.Len(t, s.requests, 1)
		require.Equal(t, tt.want, s.requests[0].Body, "interpreter %d", tt.interpreter)
	}
}

func TestHTTPFailureFailsOrJumps(t *testing.T) {
	t.Run("fail", func(t *testing.T) {
		h, in, _ := newIntegration(t, "fail")
		st, err := h.run(in)
		var appErr *temporal.ApplicationError
		require.ErrorAs(t, err, &appErr)
		require.Equal(t, ErrTypeStepFailed, appErr.Type(), "a typed error, never a stuck run")
		require.Equal(t, StepFailed, step(st, "raise").Status)
	})
	t.Run("goto", func(t *testing.T) {
		h, in, _ := newIntegration(t, "{goto: gave_up}")
		st, err := h.run(in)
		require.NoError(t, err)
		require.Equal(t, "manual", st.Outcome)
		require.Equal(t, StepFailed, step(st, "raise").Status)
		require.Contains(t, step(st, "raise").Error, "500")
	})
}

func TestNotifyStep(t *testing.T) {
	src := `key: tell
name: Tell
inputs:
  - {id: who, type: text, required: true}
roles:
  team: {group: ops}
  lead: {user: lena}
steps:
  - id: tell
    kind: notify
    channel: email
    to: [team, lead]
    addresses: [desk@example.com]
    subject: "Hello {{ inputs.who }}"
    message: "{{ inputs.who }} has started."
`
	h, in := newHarness(t, src)
	in.Inputs = map[string]any{"who": "Jo"}
	var got []NotifyRequest
	h.env.RegisterActivityWithOptions(func(_ context.Context, n NotifyRequest) error {
		got = append(got, n)
		return nil
	}, activity.RegisterOptions{Name: ActivityNotify})
	st, err := h.run(in)
	require.NoError(t, err)
	require.Equal(t, StatusCompleted, st.Status)
	require.Len(t, got, 1)
	require.Equal(t, "Hello Jo", got[0].Subject)
	require.Equal(t, "Jo has started.", got[0].Message)
	require.Equal(t, []string{"lena"}, got[0].Users)
	require.Equal(t, []string{"ops"}, got[0].Groups)
	require.Equal(t, []string{"desk@example.com"}, got[0].Addresses)
}

// TestPurchaseApprovalSkipERP: the shipped purchase approval, with the ERP down: the
// person fixing it skips the call and types the PO number; the message and the run's
// outputs carry it, and the run is approved (on version 2 it failed at tell_requester).
func TestPurchaseApprovalSkipERP(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "definitions", "examples", "purchase-approval.yaml"))
	require.NoError(t, err)
	h, in := newHarness(t, string(src))
	in.StartedBy = "rita"
	in.Inputs = map[string]any{"item": "Standing desk", "amount": 800.0, "currency": "USD", "department": "eng",
		"vendor_type": "existing", "justification": "The old desk is broken beyond repair."}
	erp := &sink{down: true}
	h.env.RegisterActivityWithOptions(erp.call, activity.RegisterOptions{Name: ActivityHTTP})
	var sent []NotifyRequest
	h.env.RegisterActivityWithOptions(func(_ context.Context, n NotifyRequest) error {
		sent = append(sent, n)
		return nil
	}, activity.RegisterOptions{Name: ActivityNotify})
	h.at(time.Hour, func() {
		h.complete(CompleteRequest{TaskID: taskID("manager_approval"), Actor: "manager-of-rita", Outcome: "approved"})
	})
	var fix Task
	h.at(3*time.Hour, func() {
		fix = h.state().OpenTasks[0]
		h.complete(CompleteRequest{TaskID: taskID("raise_po.fix1"), Actor: "admin", Admin: true, Outcome: FixSkip,
			Data: map[string]any{"po_number": "PO-HAND-7"}})
	})
	st, err := h.run(in)
	require.NoError(t, err)
	require.Equal(t, StatusCompleted, st.Status)
	require.Equal(t, "approved", st.Outcome)
	require.Equal(t, "PO-HAND-7", st.Outputs["po_number"])
	require.Len(t, sent, 1)
	require.Equal(t, "PO PO-HAND-7 raised for Standing desk.", sent[0].Message)
	require.Equal(t, KindFixIt, fix.Kind)
	require.Equal(t, []string{"procurement"}, fix.CandidateGroups)
	require.Equal(t, []string{FixRetry, FixSkip, FixEdit}, fix.Outcomes)
	require.Equal(t, "po_number", fix.Form[0].ID)
	require.Len(t, erp.requests, 3, "the ERP was tried three times")
	require.Equal(t, 800.0, erp.requests[0].Body.(map[string]any)["amount"], "the amount is sent as a number")
}

// TestSettleDoesNotWaitOnRetries: the start's settle answers once the run is as far as
// it gets without waiting on retries: an integration that keeps failing leaves the run
// at rest after automationGrace (running, no tasks yet), while one that answers at once
// is waited for (the answer names the task after it).
func TestSettleDoesNotWaitOnRetries(t *testing.T) {
	src := `key: leading
name: Leading call
roles:
  ops: {user: olga}
steps:
  - id: call
    kind: http
    url: https://erp.example.com/po
    retry: {attempts: 40, interval: 15 seconds, backoff: 1}
  - {id: after, title: After, assignee: ops}
`
	for _, down := range []bool{true, false} {
		h, in := newHarness(t, src)
		s := &sink{down: down}
		h.env.RegisterActivityWithOptions(s.call, activity.RegisterOptions{Name: ActivityHTTP})
		var (
			st         RunState
			start, at  time.Time
			answered   bool
			attemptsAt int
		)
		h.at(0, func() {
			start = h.env.Now()
			h.env.UpdateWorkflow(UpdateSettle, "", &testsuite.TestUpdateCallback{
				OnAccept: func() {}, OnReject: func(err error) { t.Error(err) },
				OnComplete: func(v any, err error) {
					require.NoError(t, err)
					b, _ := json.Marshal(v)
					require.NoError(t, json.Unmarshal(b, &st))
					at, answered = h.env.Now(), true
					s.mu.Lock()
					attemptsAt = len(s.requests)
					s.mu.Unlock()
				},
			})
		})
		h.at(time.Hour, func() { h.env.CancelWorkflow() })
		h.env.ExecuteWorkflow(WorkflowName, in)
		require.True(t, h.env.IsWorkflowCompleted())
		require.True(t, answered, "down=%v: the settle answered", down)
		require.Equal(t, StatusRunning, st.Status)
		if down {
			require.Empty(t, st.OpenTasks, "the run is at rest while the call retries")
			require.Equal(t, StepActive, step(st, "call").Status)
			require.LessOrEqual(t, at.Sub(start), automationGrace, "the settle did not wait for the retries")
			require.Equal(t, 1, attemptsAt, "answered after the first attempt, before the second")
		} else {
			require.Len(t, st.OpenTasks, 1, "a call answered at once is part of the start")
			require.Equal(t, "after", st.OpenTasks[0].StepID)
		}
	}
}
