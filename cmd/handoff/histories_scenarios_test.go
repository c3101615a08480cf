package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/handoffhq/handoff/definitions"
)

// historyScenarios are the runs of the replay corpus: one per step kind and per
// example definition, completed where a person's part is easy to play, idle otherwise.
func historyScenarios() []scenario {
	return []scenario{
		{name: "task-completed", source: twoTasks, inputs: map[string]any{"employee": "Jane"},
			actions: func(t *testing.T, s *stack, run map[string]any) {
				id := run["id"].(string)
				completeOpen(t, s, id, "details", map[string]any{"data": map[string]any{"laptop": "X1", "monitors": 2}})
				completeOpen(t, s, id, "budget", map[string]any{"data": map[string]any{"cost": 10}})
				waitStatus(t, s, id, "completed")
			}},
		{name: "task-idle", source: twoTasks, inputs: map[string]any{"employee": "Jo"}},
		{name: "approval-send-back", source: reworkDef,
			actions: func(t *testing.T, s *stack, run map[string]any) {
				id := run["id"].(string)
				completeOpen(t, s, id, "draft", map[string]any{"data": map[string]any{}})
				completeOpen(t, s, id, "review", map[string]any{"data": map[string]any{}, "outcome": "rejected", "comment": "tighten it"})
				completeOpen(t, s, id, "draft", map[string]any{"data": map[string]any{}})
				completeOpen(t, s, id, "review", map[string]any{"data": map[string]any{}, "outcome": "approved"})
				waitStatus(t, s, id, "completed")
			}},
		{name: "decision-set-end", source: routingDef, inputs: map[string]any{"amount": 500},
			actions: func(t *testing.T, s *stack, run map[string]any) { waitStatus(t, s, run["id"].(string), "completed") }},
		{name: "parallel-any", source: parallelDef,
			actions: func(t *testing.T, s *stack, run map[string]any) {
				id := run["id"].(string)
				completeOpen(t, s, id, "t2", map[string]any{"data": map[string]any{}})
				completeOpen(t, s, id, "after", map[string]any{"data": map[string]any{}})
				waitStatus(t, s, id, "completed")
			}},
		{name: "wait-event", source: waitDef,
			actions: func(t *testing.T, s *stack, run map[string]any) {
				id := run["id"].(string)
				eventually(t, func() bool {
					res := s.do("admin", "POST", "/v1/runs/"+id+"/events/contract-signed", map[string]any{"data": map[string]any{"signer": "Vic"}})
					return res.Status == http.StatusOK
				}, "the event is accepted")
				waitStatus(t, s, id, "completed")
			}},
		{name: "ownership-group", source: groupTask,
			actions: func(t *testing.T, s *stack, run map[string]any) {
				task := run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
				s.do("alice", "POST", "/v1/tasks/"+task+"/claim", nil).must(t, http.StatusOK)
				s.do("alice", "POST", "/v1/tasks/"+task+"/delegate", map[string]any{"to": "bob"}).must(t, http.StatusOK)
				s.do("bob", "POST", "/v1/tasks/"+task+"/complete", map[string]any{"data": map[string]any{"done": true}}).must(t, http.StatusOK)
				waitStatus(t, s, run["id"].(string), "completed")
			}},
		{name: "deadlines", source: deadlinesDef,
			actions: func(t *testing.T, s *stack, run map[string]any) { waitStatus(t, s, run["id"].(string), "completed") }},
		{name: "subprocess", source: parentDef, inputs: map[string]any{"n": 21},
			actions: func(t *testing.T, s *stack, run map[string]any) { waitStatus(t, s, run["id"].(string), "completed") }},
		{name: "http-fixit", source: ""}, // filled in by httpScenario, which needs the sink's URL

		{name: "notify", source: notifyDef, inputs: map[string]any{"who": "Jo"},
			actions: func(t *testing.T, s *stack, run map[string]any) { waitStatus(t, s, run["id"].(string), "completed") }},
		{name: "example-employee-onboarding", source: "definitions/examples/employee-onboarding.yaml"},
		{name: "example-purchase-approval", source: "definitions/examples/purchase-approval.yaml"},
		{name: "example-vendor-onboarding", source: "definitions/examples/vendor-onboarding.yaml",
			overrides: map[string]any{"vendor_id": "V-12345"}},
		{name: "example-vendor-risk-review", source: "definitions/examples/vendor-risk-review.yaml",
			overrides: map[string]any{"vendor_id": "V-12345"}},
		{name: "example-content-approval", source: "definitions/examples/content-approval.yaml"},
	}
}

const reworkDef = `key: rework
name: Rework
steps:
  - {id: draft, title: Draft, assignee: requester}
  - id: review
    kind: approval
    assignee: requester
    send_back_to: draft
    max_rounds: 2
  - {id: publish, kind: end, outcome: published}
`

const routingDef = `key: routing
name: Routing
inputs:
  - {id: amount, type: number, required: true}
steps:
  - id: route
    kind: decision
    rules:
      - {when: inputs.amount >= 1000, goto: big}
    default: small
  - id: small
    kind: set
    values:
      size: '"small"'
      double: inputs.amount * 2
    next: done
  - {id: big, kind: set, values: {size: '"big"'}}
  - {id: done, kind: end, outcome: routed, outputs: {size: steps.route.outcome}}
`

const parallelDef = `key: fan-out
name: Fan out
steps:
  - id: fan
    kind: parallel
    join: any
    branches:
      - {id: one, steps: [{id: t1, title: One, assignee: requester}]}
      - {id: two, steps: [{id: t2, title: Two, assignee: requester}]}
  - {id: after, title: After, assignee: requester}
`

const waitDef = `key: waits
name: Waits
steps:
  - {id: pause, kind: wait, for: 1 second}
  - id: signed
    kind: wait
    event: contract-signed
    timeout: 3 days
    form:
      - {id: signer, type: text, required: true}
`

const deadlinesDef = `key: deadlines
name: Deadlines
roles:
  boss: {user: bob}
steps:
  - id: file
    title: File the report
    assignee: requester
    due: 2 seconds
    reminders:
      - {before: 1 second}
    escalations:
      - {after: 1 second, notify: [boss]}
      - {after: 2 seconds, outcome: completed}
`

const childDef = `key: child
name: Child
inputs:
  - {id: n, type: number, required: true}
steps:
  - {id: end, kind: end, outcome: child-done, outputs: {doubled: inputs.n * 2}}
`

const parentDef = `key: parent
name: Parent
inputs:
  - {id: n, type: number, required: true}
steps:
  - id: child
    kind: subprocess
    definition: child
    inputs:
      n: inputs.n
  - {id: done, kind: end, outcome: ok, outputs: {got: steps.child.data.doubled}}
`

const notifyDef = `key: tell
name: Tell
inputs:
  - {id: who, type: text, required: true}
roles:
  team: {group: hr}
steps:
  - id: tell
    kind: notify
    channel: email
    to: [team]
    addresses: [desk@example.com]
    subject: "Hello {{ inputs.who }}"
    message: "{{ inputs.who }} has started."
`

// httpScenario returns the http step scenario against a loopback sink that fails
// until the fix-it task says retry.
func httpScenario(t *testing.T) (scenario, string, func()) {
	var up atomic.Bool
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprint(w, `{"po": "PO-9"}`)
	}))
	src := fmt.Sprintf(`key: raise-po
name: Raise PO
roles:
  ops: {user: admin}
steps:
  - id: raise
    kind: http
    method: POST
    url: %s/po
    body: {item: desk}
    save: {po: response.body.po}
    retry: {attempts: 2, interval: 1 second}
    on_failure: {fix: ops}
`, sink.URL)
	return scenario{name: "http-fixit", source: src, actions: func(t *testing.T, s *stack, run map[string]any) {
		id := run["id"].(string)
		var task string
		eventually(t, func() bool {
			st := s.do("admin", "GET", "/v1/runs/"+id, nil).must(t, http.StatusOK)
			for _, o := range st["open_tasks"].([]any) {
				task = o.(map[string]any)["id"].(string)
				return true
			}
			return false
		}, "the fix-it task opens")
		up.Store(true)
		s.do("admin", "POST", "/v1/tasks/"+task+"/complete", map[string]any{"data": map[string]any{}, "outcome": "retry"}).must(t, http.StatusOK)
		waitStatus(t, s, id, "completed")
	}}, strings.TrimPrefix(sink.URL, "http://"), sink.Close
}

// sampleInputs makes valid inputs for a start form, field by field.
func sampleInputs(t *testing.T, fields []definitions.Field) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		if !f.Required {
			continue
		}
		out[f.ID] = sampleValue(t, f)
	}
	return out
}

func sampleValue(t *testing.T, f definitions.Field) any {
	switch f.Type {
	case definitions.TypeNumber:
		if f.Min != nil {
			return *f.Min + 1
		}
		return 100
	case definitions.TypeBoolean:
		return true
	case definitions.TypeDate:
		return "2027-01-04"
	case definitions.TypeDatetime:
		return "2027-01-04T09:00:00Z"
	case definitions.TypeSelect:
		return f.Options[0].Value
	case definitions.TypeMultiSelect:
		return []any{f.Options[0].Value}
	case definitions.TypeEmail:
		return "someone@example.com"
	case definitions.TypeURL:
		return "https://example.com"
	case definitions.TypeUser:
		return "alice"
	case definitions.TypeFile:
		return map[string]any{"url": "https://example.com/f.pdf", "checksum": "sha256:" + strings.Repeat("ab", 32)}
	case definitions.TypeTable:
		row := map[string]any{}
		for _, c := range f.Fields {
			if c.Required {
				row[c.ID] = sampleValue(t, c)
			}
		}
		return []any{row}
	}
	n := 30
	if f.Min != nil {
		n = int(*f.Min) + 5
	}
	return strings.Repeat("x", n)
}
