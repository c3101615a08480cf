package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/internal/testenv"
	"github.com/handoffhq/handoff/postgres"
)

// managerCheck is a definition whose one task goes to the manager of whoever starts it.
const managerCheck = `key: manager-check
name: Manager check
roles:
  manager: {manager_of: run.started_by}
steps:
  - id: check
    kind: task
    title: Check it
    assignee: manager
    form:
      - {id: done, type: boolean, required: true}
`

// TestDeactivatedUserTasks: a deactivated user's key gets 401 at once; nobody can
// reassign or delegate a task to them (422 naming to); a task already theirs stays
// listed for an admin, who reassigns it; the audit trail still names them; a task for
// their manager role goes to the next active manager up.
func TestDeactivatedUserTasks(t *testing.T) {
	s := newStack(t)
	s.addUser(postgres.User{ID: "carl", Name: "Carl", Role: "member"})
	s.addUser(postgres.User{ID: "big", Name: "Big Boss", Role: "member"})
	s.addUser(postgres.User{ID: "boss", Name: "Boss", Role: "member", Manager: "big"})
	s.addUser(postgres.User{ID: "emp", Name: "Employee", Role: "member", Manager: "boss"})
	s.do("dana", "POST", "/v1/definitions", twoTasks).must(t, http.StatusCreated)
	s.do("dana", "POST", "/v1/definitions", managerCheck).must(t, http.StatusCreated)
	run := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "equipment-request",
		"inputs": map[string]any{"employee": "Jo"}}).must(t, http.StatusCreated)
	runID := run["id"].(string)
	task := run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
	s.do("alice", "GET", "/v1/tasks", nil).must(t, http.StatusOK)

	// alice leaves: her key is refused at once; her task stays, for an admin to see.
	off := s.do("admin", "POST", "/v1/users/alice/deactivate", nil).must(t, http.StatusOK)
	require.NotEmpty(t, off["deactivated_at"])
	s.do("alice", "GET", "/v1/tasks", nil).problem(t, http.StatusUnauthorized)
	hers := s.do("admin", "GET", "/v1/tasks?assignee=alice", nil).must(t, http.StatusOK)["tasks"].([]any)
	require.Len(t, hers, 1)
	require.Equal(t, task, hers[0].(map[string]any)["id"])

	// Nobody gives a task to a deactivated user.
	s.do("admin", "POST", "/v1/users/carl/deactivate", nil).must(t, http.StatusOK)
	for _, op := range []string{"reassign", "delegate"} {
		fields := s.do("admin", "POST", "/v1/tasks/"+task+"/"+op, map[string]any{"to": "carl"}).problem(t, http.StatusUnprocessableEntity)
		require.Contains(t, fields["to"], "deactivated", op)
	}
	moved := s.do("admin", "POST", "/v1/tasks/"+task+"/reassign", map[string]any{"to": "bob", "comment": "alice left"}).must(t, http.StatusOK)
	require.Equal(t, []any{"bob"}, moved["assignees"])
	require.Len(t, s.do("bob", "GET", "/v1/tasks?assignee=me", nil).must(t, http.StatusOK)["tasks"], 1)
	require.Empty(t, s.do("admin", "GET", "/v1/tasks?assignee=alice", nil).must(t, http.StatusOK)["tasks"])
	audit := s.do("admin", "GET", "/v1/runs/"+runID+"/audit", nil).must(t, http.StatusOK)
	require.True(t, slices.ContainsFunc(audit["events"].([]any), func(e any) bool {
		ev := e.(map[string]any)
		d, _ := ev["detail"].(map[string]any)
		as, _ := d["assignees"].([]any)
		return ev["kind"] == "task.assigned" && slices.Contains(as, any("alice"))
	}), "history still names her: %v", audit["events"])

	// A manager who has left is passed over for theirs.
	s.do("admin", "POST", "/v1/users/boss/deactivate", nil).must(t, http.StatusOK)
	check := s.do("emp", "POST", "/v1/runs", map[string]any{"definition": "manager-check"}).must(t, http.StatusCreated)
	require.Equal(t, []any{"big"}, check["open_tasks"].([]any)[0].(map[string]any)["assignees"])

	// Back: alice's key works again.
	s.do("admin", "POST", "/v1/users/alice/reactivate", nil).must(t, http.StatusOK)
	s.do("alice", "GET", "/v1/tasks", nil).must(t, http.StatusOK)
}

// TestOwnerDirectory: an admin edits a user on their page (a refusal next to its field,
// the rest kept), deactivates them — their open browser session is refused at once and
// the list marks them — and reactivates them.
func TestOwnerDirectory(t *testing.T) {
	s := webStack(t, false)
	s.addUser(postgres.User{ID: "kim", Name: "Kim Lee", Role: "member", Email: "kim@example.com", Groups: []string{"ops"}})
	kim := signInAs(t, s, "kim")
	tab := signInAs(t, s, "admin")
	tab.Do(chromedp.Navigate(s.url + "/admin/users/kim"))
	tab.WaitFor(`!!document.querySelector(".edit-user")`, "kim's page")
	require.Equal(t, "active", tab.Text("#user-status"))

	tab.Do(chromedp.Click(`.edit-user summary`, chromedp.NodeVisible))
	tab.Do(chromedp.SetValue("#e-name", "Kim Park"), chromedp.SetValue("#e-groups", "ops, finance"),
		chromedp.SetValue("#e-manager", "ghost"), chromedp.Click(`.edit-user button[type=submit]`, chromedp.NodeVisible))
	tab.WaitFor(`!!document.getElementById("e-manager-err")`, "the manager refused")
	require.Contains(t, tab.Text("#e-manager-err"), `no user "ghost"`)
	require.Equal(t, "Kim Park", testenv.Eval[string](tab, `document.getElementById("e-name").value`), "typed values kept")
	tab.Axe()
	tab.Do(chromedp.SetValue("#e-manager", "dana"), chromedp.Click(`.edit-user button[type=submit]`, chromedp.NodeVisible))
	tab.WaitFor(`location.search.includes("saved=1")`, "the change saved")
	require.Contains(t, tab.Text("h1"), "Kim Park")
	got := s.do("admin", "GET", "/v1/users/kim", nil).must(t, http.StatusOK)
	require.Equal(t, []any{"ops", "finance"}, got["groups"])
	require.Equal(t, "dana", got["manager"])
	require.Equal(t, "kim@example.com", got["email"])

	// Deactivated: kim's open session is refused on her next request; the list says so.
	tab.Do(chromedp.Click(`.user-active button`, chromedp.NodeVisible))
	tab.WaitFor(`document.getElementById("user-status").textContent.startsWith("deactivated")`, "kim deactivated")
	tab.Axe()
	tab.Screenshot("owner-admin-user-deactivated")
	kim.Do(chromedp.Navigate(s.url + "/"))
	kim.WaitFor(`location.pathname === "/signin"`, "kim sent to sign in")
	r := rawRequest(t, s, "GET", "/v1/tasks", "", "Authorization", "Bearer "+s.keys["kim"])
	require.Equal(t, http.StatusUnauthorized, r.StatusCode, "her key too")
	tab.Do(chromedp.Navigate(s.url + "/admin/users"))
	require.Contains(t, tab.Text(`tr[data-user="kim"]`), "deactivated")
	require.NotContains(t, tab.Text(`tr[data-user="dana"]`), "deactivated")

	// An admin cannot deactivate themselves: the page says why.
	tab.Do(chromedp.Navigate(s.url + "/admin/users/admin"))
	tab.Do(chromedp.Click(`.user-active button`, chromedp.NodeVisible))
	tab.WaitFor(`!!document.querySelector(".user-active .problem")`, "the refusal")
	require.True(t, strings.Contains(tab.Text(".user-active .problem"), "cannot deactivate yourself"))

	tab.Do(chromedp.Navigate(s.url + "/admin/users/kim"))
	tab.Do(chromedp.Click(`.user-active button`, chromedp.NodeVisible))
	tab.WaitFor(`document.getElementById("user-status").textContent === "active"`, "kim reactivated")
	r = rawRequest(t, s, "GET", "/v1/tasks", "", "Authorization", "Bearer "+s.keys["kim"])
	require.Equal(t, http.StatusOK, r.StatusCode, "her key works again")
	tab.RequireNoCSPViolation()
}
