package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// purchaseDef exercises most of what the API shows: inputs with a business key, a task
// with a due date and a select, a group task to claim, an approval and a wait step.
const purchaseDef = `key: purchase
name: Purchase
description: A purchase request, checked by finance, approved, then signed by the supplier.
summary: "Purchase {{ inputs.po }}: {{ inputs.item }}"
business_key: inputs.po
inputs:
  - {id: po, type: text, required: true}
  - {id: item, type: text, required: true}
  - {id: amount, type: number, required: true, min: 0}
roles:
  buyer: {user: alice}
  finance: {group: finance}
  approver: {user: dana}
steps:
  - id: details
    title: "Describe {{ inputs.item }}"
    assignee: buyer
    due: 3 days
    form:
      - {id: supplier, type: text, required: true}
      - {id: category, type: select, required: true, options: [hardware, software]}
      - {id: quantity, type: number, required: true, min: 1}
  - id: budget
    title: Check the budget
    assignee: finance
    form:
      - {id: ok, type: boolean, required: true}
  - {id: approve, kind: approval, title: Approve the purchase, assignee: approver}
  - id: signed
    kind: wait
    event: contract-signed
    form:
      - {id: signer, type: text, required: true}
`

const yamlType = "application/yaml"

// TestOpenAPIConformance runs a purchase through the API and checks every request and
// every response, errors included, against the OpenAPI document.
func TestOpenAPIConformance(t *testing.T) {
	s := newStack(t)
	c := newContract(t, s)

	c.call("", "GET", "/healthz", nil).must(t, http.StatusOK)
	c.call("", "GET", "/readyz", nil).must(t, http.StatusOK)
	c.call("", "GET", "/openapi.yaml", nil).must(t, http.StatusOK)
	c.call("", "GET", "/v1/definitions/schema.json", nil).must(t, http.StatusOK)
	c.call("", "GET", "/v1/definitions", nil).problem(t, http.StatusUnauthorized)
	c.call("not-a-key", "GET", "/v1/runs", nil).problem(t, http.StatusUnauthorized)
	c.call("alice", "POST", "/v1/definitions", purchaseDef, "Content-Type", yamlType).problem(t, http.StatusForbidden)

	// Definitions: validate, a bad one refused with positions, publish, read.
	verdict := c.call("dana", "POST", "/v1/definitions/validate", "key: broken\nsteps: 3\n", "Content-Type", yamlType).must(t, http.StatusOK)
	require.Equal(t, false, verdict["valid"])
	bad := c.call("dana", "POST", "/v1/definitions", "key: broken\nsteps: 3\n", "Content-Type", yamlType)
	bad.problem(t, http.StatusUnprocessableEntity)
	require.Contains(t, bad.Body["errors"].([]any)[0], "line")
	c.call("dana", "POST", "/v1/definitions", purchaseDef, "Content-Type", yamlType).must(t, http.StatusCreated)
	c.call("dana", "POST", "/v1/definitions", purchaseDef, "Content-Type", "text/plain").must(t, http.StatusOK)
	c.call("alice", "GET", "/v1/definitions", nil).must(t, http.StatusOK)
	def := c.call("alice", "GET", "/v1/definitions/purchase", nil).must(t, http.StatusOK)
	require.Len(t, def["inputs"], 3)
	c.call("alice", "GET", "/v1/definitions/purchase/versions/1", nil).must(t, http.StatusOK)
	c.call("alice", "GET", "/v1/definitions/purchase/versions/9", nil).problem(t, http.StatusNotFound)
	start := c.call("alice", "POST", "/v1/definitions/purchase/form", map[string]any{"inputs": map[string]any{"po": "PO-7"}}).must(t, http.StatusOK)
	require.Equal(t, false, start["valid"])
	c.call("alice", "POST", "/v1/definitions/none/form", map[string]any{}).problem(t, http.StatusNotFound)

	// Runs: bad inputs, a start, a second start for the same business key.
	inputs := map[string]any{"po": "PO-7", "item": "Laptop"}
	missing := c.call("alice", "POST", "/v1/runs", map[string]any{"definition": "purchase", "inputs": inputs}).problem(t, http.StatusUnprocessableEntity)
	require.Contains(t, missing, "inputs.amount")
	inputs["amount"] = 1200
	run := c.call("alice", "POST", "/v1/runs", map[string]any{"definition": "purchase", "inputs": inputs}).must(t, http.StatusCreated)
	runID := run["id"].(string)
	dup := c.call("bob", "POST", "/v1/runs", map[string]any{"definition": "purchase", "inputs": inputs})
	dup.problem(t, http.StatusConflict)
	require.Equal(t, runID, dup.Body["run_id"])
	c.call("bob", "GET", "/v1/runs?definition=purchase&status=running&limit=10", nil).must(t, http.StatusOK)
	c.refused("bob", "GET", "/v1/runs?status=paused", nil).problem(t, http.StatusUnprocessableEntity)

	// Tasks: the inbox, a task, a bad completion naming every field, a good one (twice).
	inbox := c.call("alice", "GET", "/v1/tasks?assignee=me&status=open", nil).must(t, http.StatusOK)["tasks"].([]any)
	require.Len(t, inbox, 1)
	details := "/v1/tasks/" + inbox[0].(map[string]any)["id"].(string)
	task := c.call("alice", "GET", details, nil).must(t, http.StatusOK)
	require.NotNil(t, task["due_at"])
	c.call("mallory", "GET", details, nil).problem(t, http.StatusNotFound) // not in the run
	draft := c.call("alice", "POST", details+"/form", map[string]any{"data": map[string]any{"quantity": 0}}).must(t, http.StatusOK)
	require.NotEmpty(t, draft["errors"])
	c.call("mallory", "POST", details+"/form", map[string]any{"data": map[string]any{}}).problem(t, http.StatusNotFound)
	c.call("mallory", "GET", "/v1/tasks?assignee=alice", nil).problem(t, http.StatusForbidden)
	fields := c.call("alice", "POST", details+"/complete",
		map[string]any{"data": map[string]any{"category": "furniture", "quantity": 0}}).problem(t, http.StatusUnprocessableEntity)
	require.Contains(t, fields, "data.supplier")
	require.Contains(t, fields, "data.category")
	require.Contains(t, fields, "data.quantity")
	good := map[string]any{"data": map[string]any{"supplier": "Acme", "category": "hardware", "quantity": 2}, "comment": "urgent"}
	c.call("alice", "POST", details+"/complete", good, "Idempotency-Key", "details-1").must(t, http.StatusOK)
	c.call("alice", "POST", details+"/complete", good, "Idempotency-Key", "details-1").must(t, http.StatusOK)
	c.call("alice", "POST", details+"/complete", good).problem(t, http.StatusConflict)

	// The group task: bob (finance) claims and completes it; dana approves.
	budget := c.waitForTask("bob")
	c.call("mallory", "POST", budget+"/claim", nil).problem(t, http.StatusNotFound)
	c.call("bob", "POST", budget+"/claim", nil).must(t, http.StatusOK)
	c.call("bob", "POST", budget+"/release", map[string]any{"comment": "later"}).must(t, http.StatusOK)
	c.call("bob", "POST", budget+"/release", nil).problem(t, http.StatusConflict)
	c.call("bob", "POST", budget+"/claim", nil).must(t, http.StatusOK)
	c.call("bob", "POST", budget+"/complete", map[string]any{"data": map[string]any{"ok": true}}).must(t, http.StatusOK)
	approve := c.waitForTask("dana")
	c.call("dana", "POST", approve+"/complete", map[string]any{"outcome": "approved", "comment": "fine"}).must(t, http.StatusOK)

	// The supplier signs: an external event ends the run.
	event := "/v1/runs/" + runID + "/events/contract-signed"
	c.call("alice", "POST", event, map[string]any{"data": map[string]any{"signer": 7}}).problem(t, http.StatusUnprocessableEntity)
	c.call("alice", "POST", event, map[string]any{"data": map[string]any{"signer": "Vic"}}, "Idempotency-Key", "sig-1").must(t, http.StatusOK)
	eventually(t, func() bool {
		return c.call("alice", "GET", "/v1/runs/"+runID, nil).must(t, http.StatusOK)["status"] == "completed"
	}, "the run completes")

	// What happened: audit (JSON and CSV), evidence, the report.
	c.call("alice", "GET", "/v1/runs/"+runID+"/audit", nil).must(t, http.StatusOK)
	csv := c.call("alice", "GET", "/v1/runs/"+runID+"/audit", nil, "Accept", "text/csv")
	require.Equal(t, http.StatusOK, csv.Status)
	require.True(t, strings.HasPrefix(csv.Raw, "at,actor,kind,step,task,detail\n"), csv.Raw)
	c.call("alice", "GET", "/v1/runs/"+runID+"/evidence", nil).must(t, http.StatusOK)
	c.call("alice", "GET", "/v1/runs/nope/audit", nil).problem(t, http.StatusNotFound)
	c.call("dana", "GET", "/v1/reports/definitions/purchase?from=2020-01-01", nil).must(t, http.StatusOK)
	c.call("alice", "GET", "/v1/reports/definitions/purchase", nil).problem(t, http.StatusForbidden)

	// Another run, cancelled by its starter.
	inputs["po"] = "PO-8"
	other := c.call("alice", "POST", "/v1/runs", map[string]any{"definition": "purchase", "inputs": inputs}).must(t, http.StatusCreated)
	cancel := "/v1/runs/" + other["id"].(string) + "/cancel"
	c.call("mallory", "POST", cancel, map[string]any{"reason": "no"}).problem(t, http.StatusNotFound)
	c.call("alice", "POST", cancel, map[string]any{"reason": "bought elsewhere"}).must(t, http.StatusAccepted)

	// The directory.
	users := c.call("admin", "GET", "/v1/users?limit=2", nil).must(t, http.StatusOK)
	require.NotEmpty(t, users["next_page_token"])
	c.call("admin", "GET", "/v1/users/alice", nil).must(t, http.StatusOK)
	c.refused("admin", "POST", "/v1/users", map[string]any{"id": "Eve!", "name": ""}).problem(t, http.StatusUnprocessableEntity)
	c.call("admin", "POST", "/v1/api-keys", map[string]any{"user": "bob"}).must(t, http.StatusCreated)
	c.call("admin", "PATCH", "/v1/users/bob", map[string]any{"name": "Bob B", "groups": []string{"finance"}}).must(t, http.StatusOK)
	c.call("admin", "PATCH", "/v1/users/bob", map[string]any{"email": "no"}).problem(t, http.StatusUnprocessableEntity)
	c.call("admin", "PATCH", "/v1/users/nobody", map[string]any{"name": "N"}).problem(t, http.StatusNotFound)
	c.call("admin", "POST", "/v1/users/mallory/deactivate", nil).must(t, http.StatusOK)
	c.call("mallory", "GET", "/v1/tasks", nil).problem(t, http.StatusUnauthorized)
	c.call("admin", "POST", "/v1/users/admin/deactivate", nil).problem(t, http.StatusConflict)
	c.call("admin", "POST", "/v1/users/mallory/reactivate", nil).must(t, http.StatusOK)
}

// waitForTask polls user's inbox until it holds one open task and returns its path.
func (c *contract) waitForTask(user string) string {
	c.t.Helper()
	var path string
	eventually(c.t, func() bool {
		tasks := c.call(user, "GET", "/v1/tasks", nil).must(c.t, http.StatusOK)["tasks"].([]any)
		if len(tasks) != 1 {
			return false
		}
		path = "/v1/tasks/" + tasks[0].(map[string]any)["id"].(string)
		return true
	}, user+" has a task")
	return path
}
