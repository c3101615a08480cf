package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// auditAction is what an auditor reads first in each audit event.
type auditAction struct{ Kind, Actor, Step string }

// auditActions reads a run's audit trail, leaving out timers (their number depends on
// how long the test takes).
func auditActions(t *testing.T, s *stack, user, runID string) ([]auditAction, []any) {
	t.Helper()
	body := s.do(user, "GET", "/v1/runs/"+runID+"/audit", nil).must(t, http.StatusOK)
	events := body["events"].([]any)
	var out []auditAction
	for _, e := range events {
		m := e.(map[string]any)
		if strings.HasPrefix(m["kind"].(string), "timer.") {
			continue
		}
		out = append(out, auditAction{m["kind"].(string), m["actor"].(string), m["step"].(string)})
	}
	return out, events
}

// openTaskOf returns the id of the run's open task of the step, waiting for it (and for
// the run itself: a subprocess is started by its parent, after the parent's answer).
func openTaskOf(t *testing.T, s *stack, runID, step string) string {
	t.Helper()
	var id string
	eventually(t, func() bool {
		r := s.do("admin", "GET", "/v1/runs/"+runID, nil)
		if r.Status == http.StatusNotFound {
			return false
		}
		run := r.must(t, http.StatusOK)
		for _, o := range run["open_tasks"].([]any) {
			if task := o.(map[string]any); task["step_id"] == step {
				id = task["id"].(string)
				return true
			}
		}
		return false
	}, "step "+step+" has an open task")
	return id
}

// TestAuditTrailOfContentApproval runs the content-approval example through a
// send-back, a claim, a delegation, a reassignment, approvals with comments, a skipped
// step, a failing integration, a rejected signal and a completion, then reads the
// audit trail (JSON and CSV) and the evidence, and verifies the evidence the way
// `handoff evidence verify` does.
func TestAuditTrailOfContentApproval(t *testing.T) {
	s := newStack(t)
	for _, u := range []postgres.User{userWithGroups("erin", "editorial"), userWithGroups("ed", "editorial"),
		userWithGroups("bea", "brand")} {
		s.addUser(u)
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "definitions", "examples", "content-approval.yaml"))
	require.NoError(t, err)
	s.do("dana", "POST", "/v1/definitions", src).must(t, http.StatusCreated)
	run := s.do("alice", "POST", "/v1/runs", map[string]any{"definition": "content-approval", "inputs": map[string]any{
		"title": "Spring launch", "draft_url": "https://docs.example.com/spring", "content_type": "blog",
		"publish_at": "2027-03-01T09:00:00Z"}}).must(t, http.StatusCreated)
	id := run["id"].(string)
	draft := map[string]any{"outcome": "ready", "data": map[string]any{"word_count": 800, "summary": "What is new this spring."}}

	s.do("alice", "POST", "/v1/tasks/"+openTaskOf(t, s, id, "draft")+"/complete", draft).must(t, http.StatusOK)
	editorial := openTaskOf(t, s, id, "editorial")
	s.do("erin", "POST", "/v1/tasks/"+editorial+"/claim", nil).must(t, http.StatusOK)
	s.do("erin", "POST", "/v1/tasks/"+editorial+"/complete", map[string]any{"outcome": "rejected",
		"comment": "Tighten the intro", "data": map[string]any{}}).must(t, http.StatusOK)
	draft2 := openTaskOf(t, s, id, "draft")
	s.do("alice", "POST", "/v1/tasks/"+draft2+"/delegate", map[string]any{"to": "bob", "comment": "Bob has the numbers"}).must(t, http.StatusOK)
	s.do("bob", "POST", "/v1/tasks/"+draft2+"/complete", draft).must(t, http.StatusOK)
	editorial2 := openTaskOf(t, s, id, "editorial")
	s.do("admin", "POST", "/v1/tasks/"+editorial2+"/reassign", map[string]any{"to": "ed"}).must(t, http.StatusOK)
	s.do("ed", "POST", "/v1/tasks/"+editorial2+"/complete", map[string]any{"outcome": "approved",
		"comment": "Good to go", "data": map[string]any{}}).must(t, http.StatusOK)
	s.do("bea", "POST", "/v1/tasks/"+openTaskOf(t, s, id, "brand_review")+"/complete", map[string]any{"outcome": "approved",
		"data": map[string]any{}}).must(t, http.StatusOK)

	// publish fails at once (its secret is not configured) and routes to publish_failed.
	fix := openTaskOf(t, s, id, "publish_failed")
	require.NoError(t, s.main.Temporal.SignalWorkflow(context.Background(), id, "", workflows.SignalComplete,
		workflows.CompleteRequest{TaskID: fix, Actor: "erin", Data: map[string]any{}}))
	eventually(t, func() bool {
		return len(s.do("admin", "GET", "/v1/runs/"+id, nil).must(t, http.StatusOK)["rejected"].([]any)) == 1
	}, "the incomplete signal is rejected")
	done := s.do("erin", "POST", "/v1/tasks/"+fix+"/complete", map[string]any{
		"data": map[string]any{"published_url": "https://example.com/spring"}}).must(t, http.StatusOK)
	require.Equal(t, "completed", done["run"].(map[string]any)["status"])

	sys := "system"
	want := []auditAction{
		{"run.started", "alice", ""},
		{"task.assigned", sys, "draft"},
		{"task.completed", "alice", "draft"},
		{"step.skipped", sys, "withdrawn"},
		{"task.assigned", sys, "editorial"},
		{"task.claimed", "erin", "editorial"},
		{"approval.rejected", "erin", "editorial"},
		{"task.completed", "erin", "editorial"},
		{"step.sent_back", "erin", "editorial"},
		{"task.assigned", sys, "draft"},
		{"task.delegated", "alice", "draft"},
		{"task.completed", "bob", "draft"},
		{"step.skipped", sys, "withdrawn"},
		{"task.assigned", sys, "editorial"},
		{"task.reassigned", "admin", "editorial"},
		{"approval.approved", "ed", "editorial"},
		{"task.completed", "ed", "editorial"},
		{"decision", sys, "editorial_gate"},
		{"branch.skipped", sys, "reviews"}, // the expert branch: its when is false
		{"task.assigned", sys, "brand_review"},
		{"approval.approved", "bea", "brand_review"},
		{"task.completed", "bea", "brand_review"},
		{"decision", sys, "reviews_gate"},
		{"step.skipped", sys, "expert_review"},
		{"decision", sys, "expert_gate"},
		{"integration.call", sys, "publish"},
		{"integration.failed", sys, "publish"},
		{"task.assigned", sys, "publish_failed"},
		{"signal.rejected", "erin", "publish_failed"},
		{"task.completed", "erin", "publish_failed"},
		{"run.completed", sys, ""},
	}
	got, events := auditActions(t, s, "audrey", id)
	require.Equal(t, want, got, "any user who may see the run may read its audit trail")
	s.do("mallory", "GET", "/v1/runs/"+id+"/audit", nil).problem(t, http.StatusNotFound) // not in the run
	detail := func(kind, step string) map[string]any {
		for _, e := range events {
			if m := e.(map[string]any); m["kind"] == kind && m["step"] == step {
				return m["detail"].(map[string]any)
			}
		}
		t.Fatalf("no %s event for %s", kind, step)
		return nil
	}
	require.Equal(t, "Tighten the intro", detail("approval.rejected", "editorial")["comment"])
	require.Equal(t, "default", detail("decision", "editorial_gate")["rule"])
	require.EqualValues(t, 800, detail("task.completed", "draft")["data"].(map[string]any)["word_count"])
	require.Equal(t, map[string]any{"Authorization": "secret:cms-token"}, detail("integration.call", "publish")["secret_headers"])
	require.Equal(t, "Spring launch", detail("run.started", "")["inputs"].(map[string]any)["title"])

	csvRes := s.do("alice", "GET", "/v1/runs/"+id+"/audit", nil, "Accept", "text/csv")
	require.Equal(t, http.StatusOK, csvRes.Status, csvRes.Raw)
	require.Equal(t, "text/csv; charset=utf-8", csvRes.ContentType)
	rows, err := csv.NewReader(strings.NewReader(csvRes.Raw)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"at", "actor", "kind", "step", "task", "detail"}, rows[0])
	require.Len(t, rows, len(events)+1)
	require.Equal(t, []string{"alice", "run.started"}, rows[1][1:3])

	s.do("alice", "GET", "/v1/runs/no-such-run/audit", nil).problem(t, http.StatusNotFound)
	s.do("alice", "GET", "/v1/runs/no-such-run/evidence", nil).problem(t, http.StatusNotFound)
	s.do("", "GET", "/v1/runs/"+id+"/audit", nil).problem(t, http.StatusUnauthorized)

	checkEvidence(t, s, id, src, len(events))
}

// checkEvidence reads the run's evidence, checks what it names, and verifies it like
// `handoff evidence verify`; an edited copy fails.
func checkEvidence(t *testing.T, s *stack, id string, src []byte, auditEvents int) {
	t.Helper()
	res := s.do("audrey", "GET", "/v1/runs/"+id+"/evidence", nil) // an auditor, not in the run
	ev := res.must(t, http.StatusOK)
	def := ev["definition"].(map[string]any)
	require.Equal(t, "content-approval", def["key"])
	require.EqualValues(t, 1, def["version"])
	require.Equal(t, string(src), def["source"])
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, def["hash"])
	hist := ev["history"].(map[string]any)
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, hist["digest"])
	require.EqualValues(t, historyLength(t, s, id), hist["events"])
	require.Len(t, ev["audit"].(map[string]any)["events"], auditEvents)
	require.Equal(t, id, ev["run_id"])

	dir := t.TempDir()
	file := filepath.Join(dir, "evidence.json")
	require.NoError(t, os.WriteFile(file, []byte(res.Raw), 0o600))
	var out bytes.Buffer
	require.NoError(t, verifyEvidence(context.Background(), s.main.Config, file, &out))
	require.Contains(t, out.String(), "OK: the evidence of run "+id+" matches")

	tampered := ev
	events := tampered["audit"].(map[string]any)["events"].([]any)
	events[2].(map[string]any)["actor"] = "mallory"
	b, err := json.Marshal(tampered)
	require.NoError(t, err)
	edited := filepath.Join(dir, "edited.json")
	require.NoError(t, os.WriteFile(edited, b, 0o600))
	out.Reset()
	err = verifyEvidence(context.Background(), s.main.Config, edited, &out)
	require.ErrorAs(t, err, &exitError{})
	require.Contains(t, out.String(), "MISMATCH")
	require.Contains(t, out.String(), "the audit trail differs")

	require.Error(t, verifyEvidence(context.Background(), s.main.Config, filepath.Join(dir, "missing.json"), &out))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "not.json"), []byte(`{"hello": 1}`), 0o600))
	require.ErrorContains(t, verifyEvidence(context.Background(), s.main.Config, filepath.Join(dir, "not.json"), &out),
		"not an evidence file")
}

// subprocessParent starts subprocessChild and waits for it; the test cancels it.
const subprocessParent = `key: audit-parent
name: Audit parent
steps:
  - id: setup
    kind: subprocess
    definition: audit-child
`

const subprocessChild = `key: audit-child
name: Audit child
roles:
  it: {user: bob}
steps:
  - id: accounts
    title: Create accounts
    assignee: it
`

// TestAuditTrailOfCancelledRun cancels a run whose subprocess waits for a person: the
// parent's trail names who cancelled and why, the child's its cancelled task and the
// parent's reason.
func TestAuditTrailOfCancelledRun(t *testing.T) {
	s := newStack(t)
	s.do("dana", "POST", "/v1/definitions", subprocessChild).must(t, http.StatusCreated)
	s.do("dana", "POST", "/v1/definitions", subprocessParent).must(t, http.StatusCreated)
	id := s.do("alice", "POST", "/v1/runs", map[string]any{"definition": "audit-parent", "inputs": map[string]any{}}).
		must(t, http.StatusCreated)["id"].(string)
	child := id + ".setup"
	openTaskOf(t, s, child, "accounts")
	s.do("admin", "POST", "/v1/runs/"+id+"/cancel", map[string]any{"reason": "Duplicate request"}).must(t, http.StatusAccepted)
	err := s.main.Temporal.GetWorkflow(context.Background(), id, "").Get(context.Background(), nil)
	require.ErrorContains(t, err, "canceled", "the run has ended cancelled")

	parent, events := auditActions(t, s, "alice", id)
	require.Equal(t, []auditAction{
		{"run.started", "alice", ""},
		{"subprocess.started", "system", "setup"},
		{"run.cancel_requested", "admin", ""},
		{"subprocess.cancelled", "system", "setup"},
		{"run.cancelled", "system", ""},
	}, parent)
	for _, e := range events {
		if m := e.(map[string]any); m["kind"] == "run.cancel_requested" {
			require.Equal(t, "Duplicate request", m["detail"].(map[string]any)["reason"])
		}
	}
	kids, kidEvents := auditActions(t, s, "alice", child)
	require.Equal(t, []auditAction{
		{"run.started", "alice", ""},
		{"task.assigned", "system", "accounts"},
		{"run.cancel_requested", "system", ""},
		{"task.cancelled", "system", "accounts"},
		{"run.cancel_reason", "system", ""},
		{"run.cancelled", "system", ""},
	}, kids)
	for _, e := range kidEvents {
		if m := e.(map[string]any); m["kind"] == "run.cancel_reason" {
			require.Equal(t, map[string]any{"reason": "Duplicate request", "by": "admin", "by_run": id}, m["detail"])
		}
	}
}
