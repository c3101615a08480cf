package workflows

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
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
		h.at(time.Hour, func() {
			h.complete(CompleteRequest{TaskID: taskID("raise.fix1"), Actor: "olga", Outcome: FixSkip,
				Data: map[string]any{"data": `{"po": "MANUAL-1"}`}})
		})
		st, err := h.run(in)
		require.NoError(t, err)
		require.Equal(t, "MANUAL-1", st.Outputs["po"], "skip supplies the step data by hand")
		require.Equal(t, "skipped", step(st, "raise").Outcome)
	})
	t.Run("edit", func(t *testing.T) {
		h, in, s := newIntegration(t, "{fix: ops}")
		h.at(time.Hour, func() {
			s.setDown(false)
			h.complete(CompleteRequest{TaskID: taskID("raise.fix1"), Actor: "olga", Outcome: FixEdit,
				Data: map[string]any{"url": "https://erp2.example.com/po"}})
		})
		st, err := h.run(in)
		require.NoError(t, err)
		require.Equal(t, "raised", st.Outcome)
		require.Equal(t, "https://erp2.example.com/po", s.requests[len(s.requests)-1].URL)
	})
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
