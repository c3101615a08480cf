package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// groupTask is a definition whose one task goes to the hr group (alice is a member).
const groupTask = `key: group-task
name: Group task
roles:
  hr: {group: hr}
steps:
  - id: welcome
    title: Prepare the welcome pack
    assignee: hr
    form:
      - {id: done, type: boolean, required: true}
`

// TestAuthorizationMatrix checks every endpoint against every kind of caller: no key,
// a wrong key, member, designer, admin, and — for task actions — the assignee and a
// non-assignee. A cell is the status the caller gets.
func TestAuthorizationMatrix(t *testing.T) {
	s := newStack(t)
	s.do("dana", "POST", "/v1/definitions", twoTasks).must(t, http.StatusCreated)
	s.do("dana", "POST", "/v1/definitions", groupTask).must(t, http.StatusCreated)
	newRun := func() (runID, taskID string) {
		r := s.do("admin", "POST", "/v1/runs", map[string]any{
			"definition": "equipment-request", "inputs": map[string]any{"employee": "Jo"},
		}).must(t, http.StatusCreated)
		return r["id"].(string), r["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
	}
	runID, taskID := newRun()

	// Callers: "" = no key, "bogus" = a key that does not exist.
	callers := []string{"", "bogus", "mallory", "dana", "admin", "alice", "audrey"}
	// alice is the assignee of taskID; mallory a member who is not in the run, dana a
	// designer who is not in it either (both get 404 for everything of the run, as for a
	// run that does not exist); audrey an auditor, who sees every run and changes nothing.
	type row struct {
		method, path string
		body         func() any
		want         []int // per caller, in the order above
	}
	valid := func() any { return map[string]any{"data": map[string]any{"laptop": "X1", "monitors": 1}} }
	rows := []row{
		{"GET", "/v1/definitions", nil, []int{401, 401, 200, 200, 200, 200, 200}},
		{"GET", "/v1/definitions/equipment-request", nil, []int{401, 401, 200, 200, 200, 200, 200}},
		{"GET", "/v1/definitions/schema.json", nil, []int{200, 200, 200, 200, 200, 200, 200}},
		{"POST", "/v1/definitions/validate", func() any { return twoTasks }, []int{401, 401, 403, 200, 200, 403, 403}},
		{"POST", "/v1/definitions", func() any { return twoTasks }, []int{401, 401, 403, 200, 200, 403, 403}},
		{"GET", "/v1/runs", nil, []int{401, 401, 200, 200, 200, 200, 200}},
		{"GET", "/v1/runs/" + runID, nil, []int{401, 401, 404, 404, 200, 200, 200}},
		{"GET", "/v1/runs/" + runID + "/audit", nil, []int{401, 401, 404, 404, 200, 200, 200}},
		{"GET", "/v1/runs/" + runID + "/evidence", nil, []int{401, 401, 404, 404, 200, 200, 200}},
		{"POST", "/v1/runs/" + runID + "/events/nothing", func() any { return map[string]any{"data": map[string]any{}} }, []int{401, 401, 404, 404, 0, 0, 0}},
		{"GET", "/v1/reports/definitions/equipment-request", nil, []int{401, 401, 403, 200, 200, 403, 200}},
		{"POST", "/codec/decode", func() any { return `{"payloads": []}` }, []int{401, 401, 403, 403, 404, 403, 404}}, // encryption is off
		{"GET", "/v1/tasks", nil, []int{401, 401, 200, 200, 200, 200, 200}},
		{"GET", "/v1/tasks?assignee=alice", nil, []int{401, 401, 403, 403, 200, 200, 403}},
		{"GET", "/v1/tasks/" + taskID, nil, []int{401, 401, 404, 404, 200, 200, 200}},
		{"POST", "/v1/tasks/" + taskID + "/form", func() any { return map[string]any{"data": map[string]any{}} }, []int{401, 401, 404, 404, 200, 200, 403}},
		{"POST", "/v1/definitions/equipment-request/form", func() any { return map[string]any{} }, []int{401, 401, 200, 200, 200, 200, 200}},
		{"POST", "/v1/tasks/" + taskID + "/reassign", func() any { return map[string]any{"to": "bob"} }, []int{401, 401, 404, 404, 0, 0, 403}},
		{"POST", "/v1/tasks/" + taskID + "/complete", valid, []int{401, 401, 404, 404, 0, 0, 403}},
		{"GET", "/v1/users", nil, []int{401, 401, 403, 403, 200, 403, 403}},
		{"GET", "/v1/users/alice", nil, []int{401, 401, 403, 403, 200, 403, 403}},
		{"PATCH", "/v1/users/bob", func() any { return map[string]any{"name": "Bob"} }, []int{401, 401, 403, 403, 200, 403, 403}},
		{"POST", "/v1/users/nobody/deactivate", nil, []int{401, 401, 403, 403, 404, 403, 403}},
		{"POST", "/v1/users/bob/reactivate", nil, []int{401, 401, 403, 403, 200, 403, 403}},
		{"POST", "/v1/tasks/" + taskID + "/release", nil, []int{401, 401, 404, 404, 409, 409, 409}},
		{"POST", "/v1/users", func() any { return map[string]any{"id": "new-" + fmt.Sprint(len(s.keys)), "name": "N"} }, []int{401, 401, 403, 403, 201, 403, 403}},
		{"POST", "/v1/api-keys", func() any { return map[string]any{"user": "bob"} }, []int{401, 401, 403, 403, 201, 403, 403}},
		{"GET", "/v1/api-keys?user=bob", nil, []int{401, 401, 403, 403, 200, 403, 403}},
		{"DELETE", "/v1/api-keys/none", nil, []int{401, 401, 403, 403, 404, 403, 403}},
		{"POST", "/v1/runs/" + runID + "/steps/details/expedite", func() any { return map[string]any{"reason": "test"} }, []int{401, 401, 403, 403, 422, 403, 403}},
		{"POST", "/v1/runs/" + runID + "/cancel", func() any { return map[string]any{"reason": "test"} }, []int{401, 401, 404, 404, 202, 403, 403}},
		{"GET", "/v1/subscriptions", nil, []int{401, 401, 403, 403, 200, 403, 403}},
		{"GET", "/v1/subscriptions/sub_none", nil, []int{401, 401, 403, 403, 404, 403, 403}},
		{"DELETE", "/v1/subscriptions/sub_none", nil, []int{401, 401, 403, 403, 404, 403, 403}},
		{"GET", "/metrics", nil, []int{200, 200, 200, 200, 200, 200, 200}},
		{"POST", "/v1/hooks/equipment-request/none", func() any { return "{}" }, []int{404, 404, 404, 404, 404, 404, 404}},
		{"GET", "/v1/hooks/equipment-request/none/secrets", nil, []int{401, 401, 403, 404, 404, 403, 403}},
		{"POST", "/v1/hooks/equipment-request/none/secrets", nil, []int{401, 401, 403, 404, 404, 403, 403}},
		{"DELETE", "/v1/hooks/equipment-request/none/secrets/whs_none", nil, []int{401, 401, 403, 404, 404, 403, 403}},
		{"GET", "/v1/schedules", nil, []int{401, 401, 403, 200, 200, 403, 403}},
		{"POST", "/v1/schedules", func() any { return map[string]any{} }, []int{401, 401, 403, 422, 422, 403, 403}},
		{"GET", "/v1/schedules/none", nil, []int{401, 401, 403, 404, 404, 403, 403}},
		{"DELETE", "/v1/schedules/none", nil, []int{401, 401, 403, 404, 404, 403, 403}},
		{"POST", "/v1/schedules/none/pause", nil, []int{401, 401, 403, 404, 404, 403, 403}},
		{"POST", "/v1/schedules/none/unpause", nil, []int{401, 401, 403, 404, 404, 403, 403}},
	}
	for _, r := range rows {
		for i, who := range callers {
			want := r.want[i]
			if want == 0 {
				continue // allowed, and changes state: covered by the task tests below
			}
			name := strings.ReplaceAll(fmt.Sprintf("%s %s as %q", r.method, r.path, who), "/", "_")
			t.Run(name, func(t *testing.T) {
				var body any
				if r.body != nil {
					body = r.body()
				}
				res := s.do(who, r.method, r.path, body)
				require.Equal(t, want, res.Status, res.Raw)
				if want >= 400 {
					res.problem(t, want)
				}
			})
		}
	}

	// The run list shows a run only to those who see it.
	listed := func(who string) bool {
		for _, r := range s.do(who, "GET", "/v1/runs", nil).must(t, http.StatusOK)["runs"].([]any) {
			if r.(map[string]any)["id"] == runID {
				return true
			}
		}
		return false
	}
	for who, sees := range map[string]bool{"mallory": false, "dana": false, "admin": true, "alice": true, "audrey": true} {
		require.Equal(t, sees, listed(who), who)
	}

	// Completing a task: the assignee may, others may not; a done task is 409.
	_, taskID = newRun()
	for _, who := range []string{"", "bogus", "mallory", "dana", "audrey"} {
		res := s.do(who, "POST", "/v1/tasks/"+taskID+"/complete", valid())
		require.Contains(t, []int{401, 403, 404}, res.Status, who)
	}
	s.do("alice", "POST", "/v1/tasks/"+taskID+"/complete", valid()).must(t, http.StatusOK)
	s.do("alice", "POST", "/v1/tasks/"+taskID+"/complete", valid()).problem(t, http.StatusConflict)
	_, taskID = newRun()
	s.do("admin", "POST", "/v1/tasks/"+taskID+"/complete", valid()).must(t, http.StatusOK)
}

// TestGroupTaskInbox: a group task shows in every member's inbox until one claims it;
// then only the claimant sees and completes it.
func TestGroupTaskInbox(t *testing.T) {
	s := newStack(t)
	s.addUser(userWithGroups("hugo", "hr"))
	s.do("dana", "POST", "/v1/definitions", groupTask).must(t, http.StatusCreated)
	run := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "group-task"}).must(t, http.StatusCreated)
	task := run["open_tasks"].([]any)[0].(map[string]any)
	id := task["id"].(string)
	require.Equal(t, []any{"hr"}, task["candidate_groups"])

	for _, who := range []string{"alice", "hugo"} {
		inbox := s.do(who, "GET", "/v1/tasks?assignee=me", nil).must(t, http.StatusOK)
		require.Len(t, inbox["tasks"], 1, "%s sees the group task", who)
	}
	require.Empty(t, s.do("bob", "GET", "/v1/tasks?assignee=me", nil).must(t, http.StatusOK)["tasks"])
	s.do("bob", "POST", "/v1/tasks/"+id+"/claim", nil).problem(t, http.StatusNotFound) // not in the run

	claimed := s.do("hugo", "POST", "/v1/tasks/"+id+"/claim", nil).must(t, http.StatusOK)
	require.Equal(t, "hugo", claimed["claimed_by"])
	s.do("alice", "POST", "/v1/tasks/"+id+"/claim", nil).problem(t, http.StatusForbidden)
	require.Empty(t, s.do("alice", "GET", "/v1/tasks?assignee=me", nil).must(t, http.StatusOK)["tasks"],
		"once claimed, it leaves the other members' inboxes")
	require.Len(t, s.do("hugo", "GET", "/v1/tasks?assignee=me", nil).must(t, http.StatusOK)["tasks"], 1)

	// Released by its claimant (and nobody else): back in every member's inbox.
	s.do("alice", "POST", "/v1/tasks/"+id+"/release", nil).problem(t, http.StatusForbidden)
	released := s.do("hugo", "POST", "/v1/tasks/"+id+"/release", map[string]any{"comment": "no time"}).must(t, http.StatusOK)
	require.Nil(t, released["claimed_by"])
	require.Equal(t, []any{"hr"}, released["candidate_groups"])
	s.do("hugo", "POST", "/v1/tasks/"+id+"/release", nil).problem(t, http.StatusConflict) // not claimed now
	for _, who := range []string{"alice", "hugo"} {
		require.Len(t, s.do(who, "GET", "/v1/tasks?assignee=me", nil).must(t, http.StatusOK)["tasks"], 1, "%s sees it again", who)
	}
	audit := s.do("admin", "GET", "/v1/runs/"+run["id"].(string)+"/audit", nil).must(t, http.StatusOK)["events"].([]any)
	require.True(t, slices.ContainsFunc(audit, func(e any) bool {
		ev := e.(map[string]any)
		d, _ := ev["detail"].(map[string]any)
		return ev["kind"] == "task.released" && ev["actor"] == "hugo" && d["from"] == "hugo" && d["to"] == "group:hr" && d["comment"] == "no time"
	}), "the release in the audit trail: %v", audit)
	claimed = s.do("alice", "POST", "/v1/tasks/"+id+"/claim", nil).must(t, http.StatusOK)
	require.Equal(t, "alice", claimed["claimed_by"])
	s.do("alice", "POST", "/v1/tasks/"+id+"/release", nil).must(t, http.StatusOK)
	s.do("hugo", "POST", "/v1/tasks/"+id+"/claim", nil).must(t, http.StatusOK)

	s.do("alice", "POST", "/v1/tasks/"+id+"/complete", map[string]any{"data": map[string]any{"done": true}}).
		problem(t, http.StatusForbidden)
	s.do("hugo", "POST", "/v1/tasks/"+id+"/delegate", map[string]any{"to": "nobody"}).problem(t, http.StatusUnprocessableEntity)
	delegated := s.do("hugo", "POST", "/v1/tasks/"+id+"/delegate", map[string]any{"to": "alice", "comment": "holiday"}).must(t, http.StatusOK)
	require.Equal(t, "alice", delegated["claimed_by"])
	done := s.do("alice", "POST", "/v1/tasks/"+id+"/complete", map[string]any{"data": map[string]any{"done": true}}).must(t, http.StatusOK)
	require.Equal(t, "completed", done["run"].(map[string]any)["status"])

	state := s.do("admin", "GET", "/v1/runs/"+run["id"].(string), nil).must(t, http.StatusOK)
	require.Equal(t, "alice", state["steps"].([]any)[0].(map[string]any)["completed_by"])
}

// TestFindRunsByAssignee: `temporal workflow list --query "HandoffAssignees='<user>'"` finds
// the user's runs.
func TestFindRunsByAssignee(t *testing.T) {
	s := newStack(t)
	s.do("dana", "POST", "/v1/definitions", twoTasks).must(t, http.StatusCreated)
	run := s.do("admin", "POST", "/v1/runs", map[string]any{
		"definition": "equipment-request", "inputs": map[string]any{"employee": "Jo"},
	}).must(t, http.StatusCreated)
	id := run["id"].(string)
	eventually(t, func() bool {
		out := temporalCLI(t, "workflow", "list", "--query", "HandoffAssignees='alice'")
		return strings.Contains(out, id)
	}, "visibility lists alice's run")
	out := temporalCLI(t, "workflow", "list", "--query", "HandoffAssignees='bob'")
	require.NotContains(t, out, id)
}

// privateRun is a definition whose one task goes to the hr group and whose runs the
// finance group may read (its viewers role).
const privateRun = `key: private-run
name: Private run
roles:
  hr: {group: hr}
  viewers: {group: finance}
inputs:
  - {id: salary, type: number, required: true}
steps:
  - id: review
    title: Review the offer
    assignee: hr
    form:
      - {id: ok, type: boolean, required: true}
`

// TestRunPrivacy: a run is seen by its starter, the people and groups of its tasks (also
// after a task moved on), its definition's viewers, auditors and admins; anyone else
// gets 404 for it, its audit, evidence, tasks and events, and does not find it listed.
func TestRunPrivacy(t *testing.T) {
	s := newStack(t)
	s.addUser(userWithGroups("hugo", "hr"))
	s.addUser(userWithGroups("carl"))
	s.do("dana", "POST", "/v1/definitions", privateRun).must(t, http.StatusCreated)
	run := s.do("carl", "POST", "/v1/runs", map[string]any{"definition": "private-run",
		"inputs": map[string]any{"salary": 98000}}).must(t, http.StatusCreated)
	id := run["id"].(string)
	task := run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)

	sees := func(who string) bool {
		t.Helper()
		res := s.do(who, "GET", "/v1/runs/"+id, nil)
		require.Contains(t, []int{200, 404}, res.Status, res.Raw)
		listed := false
		for _, r := range s.do(who, "GET", "/v1/runs", nil).must(t, http.StatusOK)["runs"].([]any) {
			listed = listed || r.(map[string]any)["id"] == id
		}
		require.Equal(t, res.Status == 200, listed, "%s: the list agrees with the run", who)
		for _, sub := range []string{"/audit", "/evidence"} {
			require.Equal(t, res.Status, s.do(who, "GET", "/v1/runs/"+id+sub, nil).Status, who+sub)
		}
		if res.Status == 404 {
			s.do(who, "GET", "/v1/tasks/"+task, nil).problem(t, http.StatusNotFound)
			s.do(who, "POST", "/v1/runs/"+id+"/events/x", map[string]any{"data": map[string]any{}}).problem(t, http.StatusNotFound)
		}
		return res.Status == 200
	}
	for who, want := range map[string]bool{
		"carl": true, "alice": true, "hugo": true, // the starter; the hr group (candidates)
		"bob":   true,                 // finance: the definition's viewers
		"admin": true, "audrey": true, // see every run
		"mallory": false, "dana": false, // not in it
	} {
		require.Equal(t, want, sees(who), who)
	}
	require.Contains(t, s.do("bob", "GET", "/v1/runs/"+id, nil).Raw, "98000", "a viewer reads the inputs")

	// hugo claims and hands the task to mallory, who then sees the run; mallory hands it
	// on to alice, and still sees it: she was an assignee.
	s.do("hugo", "POST", "/v1/tasks/"+task+"/claim", nil).must(t, http.StatusOK)
	s.do("hugo", "POST", "/v1/tasks/"+task+"/reassign", map[string]any{"to": "mallory"}).must(t, http.StatusOK)
	require.True(t, sees("mallory"))
	s.do("mallory", "POST", "/v1/tasks/"+task+"/reassign", map[string]any{"to": "alice"}).must(t, http.StatusOK)
	require.True(t, sees("mallory"), "a former assignee still sees the run")
	require.False(t, sees("dana"))
	s.do("alice", "POST", "/v1/tasks/"+task+"/complete", map[string]any{"data": map[string]any{"ok": true}}).must(t, http.StatusOK)
	require.True(t, sees("hugo"), "a former candidate still sees the run")
	require.False(t, sees("dana"))
}

// selfApproval is an approval its requester may not decide.
const selfApproval = `key: self-approval
name: Self approval
roles:
  approvers: {users: [alice, bob]}
steps:
  - id: sign_off
    kind: approval
    assignee: approvers
    exclude_requester: true
`

// TestExcludeRequesterDeadEnd: an exclude_requester approval cannot be reassigned or
// delegated so that only its requester could decide it (422 naming to); other moves go on.
func TestExcludeRequesterDeadEnd(t *testing.T) {
	s := newStack(t)
	s.do("dana", "POST", "/v1/definitions", selfApproval).must(t, http.StatusCreated)
	run := s.do("bob", "POST", "/v1/runs", map[string]any{"definition": "self-approval"}).must(t, http.StatusCreated)
	task := "/v1/tasks/" + run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
	for _, tc := range []struct{ who, kind string }{{"alice", "reassign"}, {"alice", "delegate"}, {"admin", "reassign"}} {
		fields := s.do(tc.who, "POST", task+"/"+tc.kind, map[string]any{"to": "bob"}).problem(t, http.StatusUnprocessableEntity)
		require.Contains(t, fields["to"], "exclude_requester", "%s %s to the requester", tc.who, tc.kind)
	}
	got := s.do("alice", "GET", task, nil).must(t, http.StatusOK)
	require.ElementsMatch(t, []any{"alice", "bob"}, got["assignees"], "nothing changed")
	s.do("mallory", "POST", task+"/reassign", map[string]any{"to": "bob"}).problem(t, http.StatusNotFound) // not in the run

	moved := s.do("alice", "POST", task+"/reassign", map[string]any{"to": "mallory"}).must(t, http.StatusOK)
	require.Equal(t, []any{"mallory"}, moved["assignees"])
	s.do("mallory", "POST", task+"/delegate", map[string]any{"to": "bob"}).problem(t, http.StatusUnprocessableEntity)
	s.do("bob", "POST", task+"/complete", map[string]any{"data": map[string]any{}, "outcome": "approved"}).problem(t, http.StatusForbidden)
	done := s.do("mallory", "POST", task+"/complete", map[string]any{"data": map[string]any{}, "outcome": "approved"}).must(t, http.StatusOK)
	require.Equal(t, "completed", done["run"].(map[string]any)["status"])
}
