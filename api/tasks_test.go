package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	must "github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/postgres"
)

// TestListTasksSearch: the inbox searches titles and run summaries; a search that is too
// long and a page token the API never gave are 422s naming the parameter. The web app's
// inbox reads through the same operation (ListTasks).
func TestListTasksSearch(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	ctx := context.Background()
	for i, title := range []string{"Order a laptop", "Sign the contract", "Book the desk"} {
		id := []string{"r1", "r2", "r3"}[i]
		must.NoError(t, ts.db.WriteInbox(ctx, postgres.InboxWrite{
			Run: &postgres.Run{ID: id, Definition: "d", Version: 1, Status: "running", Summary: "Onboarding " + id},
			Open: []postgres.Task{{ID: id + ".t", RunID: id, StepID: "t", Definition: "d", Title: title,
				Assignees: []string{"mallory"}}}}))
	}
	ids := func(q string) []string {
		t.Helper()
		res := ts.do("mallory", "GET", "/v1/tasks?q="+q, nil, nil)
		must.Equal(t, http.StatusOK, res.status, res.raw)
		var out []string
		for _, task := range res.body["tasks"].([]any) {
			out = append(out, task.(map[string]any)["id"].(string))
		}
		return out
	}
	must.Equal(t, []string{"r1.t"}, ids("LAPTOP"))
	must.ElementsMatch(t, []string{"r2.t", "r3.t"}, ids("the"))
	must.Equal(t, []string{"r3.t"}, ids("onboarding%20r3"), "the run's summary is searched too")

	page, err := ts.srv.ListTasks(ctx, postgres.User{ID: "mallory", Role: roleMember}, TaskQuery{Search: "contract"})
	must.NoError(t, err)
	must.Len(t, page.Tasks, 1)
	must.Equal(t, "Sign the contract", page.Tasks[0].Title)

	must.Contains(t, ts.do("mallory", "GET", "/v1/tasks?q="+strings.Repeat("x", 201), nil, nil).
		problem(t, http.StatusUnprocessableEntity), "q")
	must.Contains(t, ts.do("mallory", "GET", "/v1/tasks?page_token=bogus", nil, nil).
		problem(t, http.StatusUnprocessableEntity), "page_token")
}
