package main

import (
	"fmt"
	"net/http"
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
	callers := []string{"", "bogus", "mallory", "dana", "admin", "alice"}
	// alice is the assignee of taskID; mallory a member who is not.
	type row struct {
		method, path string
		body         func() any
		want         []int // per caller, in the order above
	}
	valid := func() any { return map[string]any{"data": map[string]any{"laptop": "X1", "monitors": 1}} }
	rows := []row{
		{"GET", "/v1/definitions", nil, []int{401, 401, 200, 200, 200, 200}},
		{"GET", "/v1/definitions/equipment-request", nil, []int{401, 401, 200, 200, 200, 200}},
		{"GET", "/v1/definitions/schema.json", nil, []int{200, 200, 200, 200, 200, 200}},
		{"POST", "/v1/definitions/validate", func() any { return twoTasks }, []int{401, 401, 403, 200, 200, 403}},
		{"POST", "/v1/definitions", func() any { return twoTasks }, []int{401, 401, 403, 200, 200, 403}},
		{"GET", "/v1/runs", nil, []int{401, 401, 200, 200, 200, 200}},
		{"GET", "/v1/runs/" + runID, nil, []int{401, 401, 200, 200, 200, 200}},
		{"GET", "/v1/runs/" + runID + "/audit", nil, []int{401, 401, 200, 200, 200, 200}},
		{"GET", "/v1/runs/" + runID + "/evidence", nil, []int{401, 401, 200, 200, 200, 200}},
		{"GET", "/v1/reports/definitions/equipment-request", nil, []int{401, 401, 403, 200, 200, 403}},
		{"POST", "/codec/decode", func() any { return `{"payloads": []}` }, []int{401, 401, 403, 404, 404, 403}}, // encryption is off
		{"GET", "/v1/tasks", nil, []int{401, 401, 200, 200, 200, 200}},
		{"GET", "/v1/tasks?assignee=alice", nil, []int{401, 401, 403, 403, 200, 200}},
		{"GET", "/v1/tasks/" + taskID, nil, []int{401, 401, 403, 403, 200, 200}},
		{"POST", "/v1/tasks/" + taskID + "/reassign", func() any { return map[string]any{"to": "bob"} }, []int{401, 401, 403, 403, 0, 0}},
		{"GET", "/v1/users", nil, []int{401, 401, 403, 403, 200, 403}},
		{"GET", "/v1/users/alice", nil, []int{401, 401, 403, 403, 200, 403}},
		{"POST", "/v1/users", func() any { return map[string]any{"id": "new-" + fmt.Sprint(len(s.keys)), "name": "N"} }, []int{401, 401, 403, 403, 201, 403}},
		{"POST", "/v1/api-keys", func() any { return map[string]any{"user": "bob"} }, []int{401, 401, 403, 403, 201, 403}},
		{"POST", "/v1/runs/" + runID + "/steps/details/expedite", func() any { return map[string]any{"reason": "test"} }, []int{401, 401, 403, 403, 422, 403}},
		{"POST", "/v1/runs/" + runID + "/cancel", func() any { return map[string]any{"reason": "test"} }, []int{401, 401, 403, 403, 202, 403}},
		{"GET", "/v1/subscriptions", nil, []int{401, 401, 403, 403, 200, 403}},
		{"GET", "/v1/subscriptions/sub_none", nil, []int{401, 401, 403, 403, 404, 403}},
		{"DELETE", "/v1/subscriptions/sub_none", nil, []int{401, 401, 403, 403, 404, 403}},
		{"GET", "/metrics", nil, []int{200, 200, 200, 200, 200, 200}},
		{"POST", "/v1/hooks/equipment-request/none", func() any { return "{}" }, []int{404, 404, 404, 404, 404, 404}},
		{"GET", "/v1/hooks/equipment-request/none/secrets", nil, []int{401, 401, 403, 404, 404, 403}},
		{"POST", "/v1/hooks/equipment-request/none/secrets", nil, []int{401, 401, 403, 404, 404, 403}},
		{"DELETE", "/v1/hooks/equipment-request/none/secrets/whs_none", nil, []int{401, 401, 403, 404, 404, 403}},
		{"GET", "/v1/schedules", nil, []int{401, 401, 403, 200, 200, 403}},
		{"POST", "/v1/schedules", func() any { return map[string]any{} }, []int{401, 401, 403, 422, 422, 403}},
		{"GET", "/v1/schedules/none", nil, []int{401, 401, 403, 404, 404, 403}},
		{"DELETE", "/v1/schedules/none", nil, []int{401, 401, 403, 404, 404, 403}},
		{"POST", "/v1/schedules/none/pause", nil, []int{401, 401, 403, 404, 404, 403}},
		{"POST", "/v1/schedules/none/unpause", nil, []int{401, 401, 403, 404, 404, 403}},
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

	// Completing a task: the assignee may, others may not; a done task is 409.
	_, taskID = newRun()
	for _, who := range []string{"", "bogus", "mallory", "dana"} {
		res := s.do(who, "POST", "/v1/tasks/"+taskID+"/complete", valid())
		require.Contains(t, []int{401, 403}, res.Status, who)
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
	s.do("bob", "POST", "/v1/tasks/"+id+"/claim", nil).problem(t, http.StatusForbidden)

	claimed := s.do("hugo", "POST", "/v1/tasks/"+id+"/claim", nil).must(t, http.StatusOK)
	require.Equal(t, "hugo", claimed["claimed_by"])
	s.do("alice", "POST", "/v1/tasks/"+id+"/claim", nil).problem(t, http.StatusForbidden)
	require.Empty(t, s.do("alice", "GET", "/v1/tasks?assignee=me", nil).must(t, http.StatusOK)["tasks"],
		"once claimed, it leaves the other members' inboxes")
	require.Len(t, s.do("hugo", "GET", "/v1/tasks?assignee=me", nil).must(t, http.StatusOK)["tasks"], 1)

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
