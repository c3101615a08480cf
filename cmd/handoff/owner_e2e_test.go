package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/definitions/examples"
	"github.com/handoffhq/handoff/internal/testenv"
)

// signInAs opens a browser signed in as the user (with a one-time sign-in link, which
// every Handoff serves).
func signInAs(t *testing.T, s *stack, userID string) *testenv.Tab {
	t.Helper()
	link, err := s.main.web.SignInLink(context.Background(), userID)
	require.NoError(t, err)
	tab := testenv.Browser(t)
	tab.Do(chromedp.Navigate(link), chromedp.Click(chromedp.CSS("main form button"), chromedp.NodeVisible))
	tab.WaitFor(`location.pathname === "/" && !!document.querySelector("#inbox-list")`, "the inbox after signing in")
	return tab
}

func exampleSource(t *testing.T, name string) string {
	t.Helper()
	b, err := examples.FS.ReadFile(name + ".yaml")
	require.NoError(t, err)
	return string(b)
}

// setSource replaces the editor's text as typing would, and says when.
func setSource(tab *testenv.Tab, src string) time.Time {
	tab.Do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const s = document.getElementById("source");
		s.focus(); s.value = %q; s.dispatchEvent(new Event("input", {bubbles: true})); })()`, src)))
	return time.Now()
}

// TestOwnerEditor is issue 17's test 1: an owner opens the editor on a shipped example,
// introduces a type error in a decision rule, sees it at its line within a second with
// the CLI's message, clicks it (the cursor moves there), fixes it, sees the diagram
// follow and the diff, publishes and lands on version N+1 whose diagram shows the rule.
func TestOwnerEditor(t *testing.T) {
	s := webStack(t, false)
	src := exampleSource(t, "purchase-approval")
	s.do("dana", "POST", "/v1/definitions", src).must(t, http.StatusCreated)
	tab := signInAs(t, s, "dana")

	tab.Do(chromedp.Navigate(s.url + "/definitions"))
	require.Equal(t, "Definitions", tab.Text("h1"))
	require.Contains(t, tab.Text(`tr[data-definition="purchase-approval"]`), "dana")
	tab.Axe()
	tab.Screenshot("owner-definitions")

	tab.Do(chromedp.Click(chromedp.CSS(`tr[data-definition="purchase-approval"] a`), chromedp.NodeVisible))
	tab.WaitFor(`location.pathname === "/definitions/purchase-approval/versions/1"`, "the version page")
	tab.Do(chromedp.Click(chromedp.CSS(`a[href="/definitions/purchase-approval/edit"]`), chromedp.NodeVisible))
	tab.WaitFor(`location.pathname === "/definitions/purchase-approval/edit" && !!document.querySelector("#preview svg")`, "the editor")
	require.Equal(t, "Valid.", strings.Fields(tab.Text("#checks-status"))[0])
	// Line numbers beside the text.
	require.Equal(t, len(strings.Split(strings.TrimSuffix(src, "\n"), "\n"))+1,
		testenv.Eval[int](tab, `document.getElementById("gutter").textContent.split("\n").length`))

	// The type error, as typed; the CLI's message for it.
	bad := strings.Replace(src, "inputs.amount >= 50000", `inputs.amount > "5"`, 1)
	require.NotEqual(t, src, bad)
	path := filepath.Join(t.TempDir(), "purchase.yaml")
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o644))
	cli, err := runCLI(t, Config{}, "validate", path)
	require.Error(t, err)
	_, cerr := definitions.Compile([]byte(bad))
	want := cerr.(*definitions.ErrorList).Errors[0]
	require.Contains(t, cli, fmt.Sprintf("%d:%d", want.Line, want.Column))
	require.Contains(t, cli, want.Message)

	typed := setSource(tab, bad)
	tab.WaitFor(`document.querySelector("#checks .goto") !== null`, "the error to appear")
	took := time.Since(typed)
	t.Logf("the error appeared %s after typing", took)
	require.Less(t, took, time.Second, "the error appears within a second")
	require.Equal(t, fmt.Sprintf("%d:%d", want.Line, want.Column), tab.Text("#checks .goto .pos"))
	require.Equal(t, want.Message, tab.Text("#checks .goto .msg"))
	require.Contains(t, cli, tab.Text("#checks .goto .msg"), "the CLI gives the same message")
	require.True(t, testenv.Eval[bool](tab, fmt.Sprintf(`!!document.querySelector("#gutter .bad") && document.querySelector("#gutter .bad").textContent === "%d"`, want.Line)),
		"the line is marked in the gutter")
	// The diagram still shows the last valid text.
	require.Contains(t, tab.Text("#preview"), "inputs.amount >= 50000")
	tab.Axe()
	tab.Screenshot("owner-editor-error")

	tab.Do(chromedp.Click(chromedp.CSS("#checks .goto"), chromedp.NodeVisible))
	lines := strings.Split(bad, "\n")
	at := 0
	for _, l := range lines[:want.Line-1] {
		at += len([]rune(l)) + 1
	}
	at += want.Column - 1
	require.Equal(t, at, testenv.Eval[int](tab, `document.getElementById("source").selectionStart`), "the cursor is at the error")
	require.True(t, testenv.Eval[bool](tab, `document.activeElement === document.getElementById("source")`))

	fixed := strings.Replace(src, "inputs.amount >= 50000", "inputs.amount >= 75000", 1)
	setSource(tab, fixed)
	tab.WaitFor(`document.getElementById("checks").dataset.valid === "true"`, "the fix to validate")
	tab.WaitFor(`[...document.querySelectorAll("#preview svg .edge-label")].some(e => e.textContent === "inputs.amount >= 75000")`, "the diagram to follow")
	require.Equal(t, 3, testenv.Eval[int](tab, `document.querySelectorAll("#preview .form-preview").length`), "the form previews follow")
	require.Contains(t, tab.Text(".diff-lines tr.del"), "inputs.amount >= 50000")
	require.Contains(t, tab.Text(".diff-lines tr.add"), "inputs.amount >= 75000")
	tab.Axe()
	tab.Screenshot("owner-editor-valid")

	tab.Do(chromedp.Click(chromedp.CSS("#editor button[type=submit]"), chromedp.NodeVisible))
	tab.WaitFor(`location.pathname === "/definitions/purchase-approval/versions/2"`, "the new version's page")
	require.Contains(t, tab.Text("h1"), "v2")
	require.True(t, testenv.Eval[bool](tab, `[...document.querySelectorAll("svg.flow .edge-label")].some(e => e.textContent === "inputs.amount >= 75000")`),
		"the new version's diagram shows the changed rule")
	latest := s.do("dana", "GET", "/v1/definitions/purchase-approval", nil).must(t, http.StatusOK)
	require.EqualValues(t, 2, latest["version"])
	require.Equal(t, fixed, latest["source"])
	// On a 375 px phone the pages do not scroll sideways (a wide diagram scrolls in its box).
	tab.Do(chromedp.EmulateViewport(375, 812))
	for _, p := range []string{"/definitions", "/definitions/purchase-approval/versions/2", "/definitions/purchase-approval/edit"} {
		tab.Do(chromedp.Navigate(s.url + p))
		tab.WaitFor(`document.readyState === "complete"`, "the page on a phone")
		require.LessOrEqual(t, testenv.Eval[int](tab, `document.documentElement.scrollWidth`), 375, "no sideways scrolling on %s", p)
	}
	tab.Screenshot("owner-definition-phone")
	tab.RequireNoCSPViolation()

	// A member may read definitions but is not offered the editor, and the API refuses it.
	member := signInAs(t, s, "bob")
	res := testenv.Value(member, chromedp.NavigateResponse(s.url+"/definitions/purchase-approval/edit"))
	require.EqualValues(t, http.StatusForbidden, res.Status)
}

// TestOwnerDefinitionPages is issue 17's test 2: the page of every shipped example
// renders every step id of its definition in the diagram (read from the SVG in the
// browser), with back edges for its loops, and a preview of its forms; and a new
// definition starts from any shipped example.
func TestOwnerDefinitionPages(t *testing.T) {
	s := webStack(t, false)
	names, err := fs.Glob(examples.FS, "*.yaml") // vendor-onboarding before vendor-risk-review, which starts it
	require.NoError(t, err)
	tab := signInAs(t, s, "dana")
	for _, n := range names {
		name := strings.TrimSuffix(n, ".yaml")
		src := exampleSource(t, name)
		prog, err := definitions.Compile([]byte(src))
		require.NoError(t, err)

		// Start from the example in the editor, and publish it from there.
		tab.Do(chromedp.Navigate(s.url + "/definitions/new?example=" + name))
		tab.WaitFor(`!!document.querySelector("#preview svg")`, "the example's diagram in the editor")
		require.Equal(t, src, testenv.Eval[string](tab, `document.getElementById("source").value`))
		tab.Axe()
		tab.Do(chromedp.Click(chromedp.CSS("#editor button[type=submit]"), chromedp.NodeVisible))
		tab.WaitFor(fmt.Sprintf(`location.pathname === "/definitions/%s/versions/1" && document.readyState === "complete"`, prog.Key), "the published example")

		got := testenv.Eval[[]string](tab, `[...document.querySelectorAll("svg.flow g.node[data-step]")].map(g => g.dataset.step)`)
		require.ElementsMatch(t, allStepIDs(prog.Steps), got, name)
		backs := testenv.Eval[[]string](tab, `[...document.querySelectorAll("svg.flow g.route:has(.edge.back)")].map(g => g.dataset.from + "→" + g.dataset.to)`)
		require.Equal(t, len(backs) > 0, hasLoop(prog.Steps), "%s: back edges %v", name, backs)
		require.Equal(t, len(formsOf(prog)), testenv.Eval[int](tab, `document.querySelectorAll(".form-preview").length`), name)
		tab.Axe()
		tab.Screenshot("owner-definition-" + name)
	}
	tab.RequireNoCSPViolation()
}

func allStepIDs(steps []definitions.Step) []string {
	var ids []string
	for _, s := range steps {
		ids = append(ids, s.ID)
		for _, b := range s.Branches {
			ids = append(ids, allStepIDs(b.Steps)...)
		}
	}
	return ids
}

// hasLoop says whether a sequence jumps back (send back, next or a rule to an earlier step).
func hasLoop(steps []definitions.Step) bool {
	at := map[string]int{}
	for i, s := range steps {
		at[s.ID] = i
	}
	for i, s := range steps {
		for _, to := range append([]string{s.SendBackTo, s.Next}, func() (r []string) {
			for _, rule := range s.Rules {
				r = append(r, rule.Goto)
			}
			return
		}()...) {
			if j, ok := at[to]; ok && j <= i {
				return true
			}
		}
		for _, b := range s.Branches {
			if hasLoop(b.Steps) {
				return true
			}
		}
	}
	return false
}

func formsOf(p *definitions.Program) []string {
	var out []string
	if len(p.Inputs) > 0 {
		out = append(out, "start")
	}
	var walk func([]definitions.Step)
	walk = func(steps []definitions.Step) {
		for _, s := range steps {
			if len(s.Form) > 0 && s.Kind != definitions.KindWait {
				out = append(out, s.ID)
			}
			for _, b := range s.Branches {
				walk(b.Steps)
			}
		}
	}
	walk(p.Steps)
	return out
}

// TestOwnerAdmin is issue 17's test 6: an admin creates a user, gives them a key (shown
// once), sees its last use, revokes it, and the key then gets 401. A refused form keeps
// what was typed and names the field.
func TestOwnerAdmin(t *testing.T) {
	s := webStack(t, false)
	tab := signInAs(t, s, "admin")
	tab.Do(chromedp.Click(chromedp.CSS(`.bar nav a[href="/admin/users"]`), chromedp.NodeVisible))
	tab.WaitFor(`location.pathname === "/admin/users"`, "the users page")
	require.Contains(t, tab.Text(`tr[data-user="dana"]`), "designer")
	tab.Axe()

	// A bad email: the API's words, next to the field, the rest kept.
	tab.Do(chromedp.SendKeys(chromedp.ID("u-id"), "kim"), chromedp.SendKeys(chromedp.ID("u-name"), "Kim Lee"),
		chromedp.SetValue(chromedp.ID("u-email"), "kim-at-example"), chromedp.SendKeys(chromedp.ID("u-groups"), "ops, finance"),
		chromedp.SendKeys(chromedp.ID("u-manager"), "dana"))
	tab.Do(chromedp.Evaluate[chromedp.Void](`document.getElementById("u-email").type = "text"`)) // past the browser's own check
	tab.Do(chromedp.Click(chromedp.CSS(".admin-form button"), chromedp.NodeVisible))
	tab.WaitFor(`!!document.querySelector("#u-email-err")`, "the email refused")
	require.Equal(t, "Kim Lee", testenv.Eval[string](tab, `document.getElementById("u-name").value`))
	tab.Axe()
	tab.Screenshot("owner-admin-users")
	tab.Do(chromedp.SetValue(chromedp.ID("u-email"), "kim@example.com"), chromedp.Click(chromedp.CSS(".admin-form button"), chromedp.NodeVisible))
	tab.WaitFor(`location.pathname === "/admin/users/kim"`, "the new user's page")
	kim := s.do("admin", "GET", "/v1/users/kim", nil).must(t, http.StatusOK)
	require.Equal(t, []any{"ops", "finance"}, kim["groups"])
	require.Equal(t, "dana", kim["manager"])

	tab.Do(chromedp.Click(chromedp.CSS(`form[action="/admin/users/kim/keys"] button`), chromedp.NodeVisible))
	tab.WaitFor(`!!document.getElementById("new-key")`, "the new key")
	key := tab.Text("#new-key")
	require.True(t, strings.HasPrefix(key, "hk_") || len(key) > 20, key)
	tab.Axe()
	tab.Screenshot("owner-admin-key")
	// The key works, and its use is listed; it is never shown again.
	res := rawRequest(t, s, "GET", "/v1/tasks", "", "Authorization", "Bearer "+key)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	tab.Do(chromedp.Navigate(s.url + "/admin/users/kim"))
	require.Zero(t, testenv.Eval[int](tab, `document.querySelectorAll("#new-key").length`))
	require.NotContains(t, testenv.Eval[string](tab, `document.body.innerHTML`), key)
	require.NotEqual(t, "never", tab.Text(".last-used"), "the last use is listed")

	tab.Do(chromedp.Click(chromedp.CSS(`tr[data-key] form button`), chromedp.NodeVisible))
	tab.WaitFor(`location.search.includes("revoked=") && document.querySelectorAll("tr[data-key]").length === 0`, "the key revoked")
	res = rawRequest(t, s, "GET", "/v1/tasks", "", "Authorization", "Bearer "+key)
	res.Body.Close()
	require.Equal(t, http.StatusUnauthorized, res.StatusCode, "a revoked key gets 401")
	tab.RequireNoCSPViolation()

	// Only admins: a designer gets the API's refusal.
	designer := signInAs(t, s, "dana")
	r := testenv.Value(designer, chromedp.NavigateResponse(s.url+"/admin/users"))
	require.EqualValues(t, http.StatusForbidden, r.Status)
	require.Zero(t, testenv.Eval[int](designer, `document.querySelectorAll('.bar nav a[href="/admin/users"]').length`))
}

// sessionGet GETs a page with the tab's session cookie.
func sessionGet(t *testing.T, s *stack, tab *testenv.Tab, path string) (*http.Response, []byte) {
	t.Helper()
	ck := tab.Cookie("handoff_session")
	require.NotNil(t, ck)
	req, err := http.NewRequest("GET", s.url+path, nil)
	require.NoError(t, err)
	req.AddCookie(&http.Cookie{Name: "handoff_session", Value: ck.Value})
	res, err := noRedirects.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, b
}

// TestOwnerEvidence is issue 17's test 5: an auditor opens a finished run's evidence
// page (definition version and hash, every action, the digest, verified against
// Temporal now); its download passes `handoff evidence verify`, and a tampered copy
// fails it.
func TestOwnerEvidence(t *testing.T) {
	s := webStack(t, false)
	s.do("dana", "POST", "/v1/definitions", webLaptopOrder).must(t, http.StatusCreated)
	run, task := startLaptopOrder(t, s, "Jane Doe")
	s.do("olga", "POST", "/v1/tasks/"+task+"/complete", map[string]any{"data": map[string]any{"model": "X1"}}).must(t, http.StatusOK)
	waitStatus(t, s, run, "completed")

	tab := signInAs(t, s, "audrey")
	tab.Do(chromedp.Navigate(s.url + "/runs/" + run + "/evidence"))
	require.Contains(t, tab.Text("#verdict"), "Verified")
	api := s.do("audrey", "GET", "/v1/runs/"+run+"/evidence", nil).must(t, http.StatusOK)
	require.Equal(t, api["history"].(map[string]any)["digest"], tab.Text("#digest"))
	require.Contains(t, tab.Text("main"), "laptop-order v1")
	rows := testenv.Eval[[]string](tab, `[...document.querySelectorAll(".actions-table tbody tr")].map(r => r.innerText)`)
	require.Len(t, rows, len(api["audit"].(map[string]any)["events"].([]any)))
	require.True(t, strings.Contains(strings.Join(rows, "\n"), "olga"), "who completed the task: %v", rows)
	tab.Axe()
	tab.Screenshot("owner-evidence")
	tab.RequireNoCSPViolation()

	res, body := sessionGet(t, s, tab, "/runs/"+run+"/evidence.json")
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, res.Header.Get("Content-Disposition"), "attachment")
	dir := t.TempDir()
	file := filepath.Join(dir, "evidence.json")
	require.NoError(t, os.WriteFile(file, body, 0o600))
	out, err := runCLI(t, s.main.Config, "evidence", "verify", file)
	require.NoError(t, err, out)
	require.Contains(t, out, "OK: the evidence of run "+run+" matches")

	tampered := strings.Replace(string(body), `"actor": "olga"`, `"actor": "mallory"`, 1)
	require.NotEqual(t, string(body), tampered)
	edited := filepath.Join(dir, "edited.json")
	require.NoError(t, os.WriteFile(edited, []byte(tampered), 0o600))
	out, err = runCLI(t, s.main.Config, "evidence", "verify", edited)
	require.Error(t, err)
	require.Contains(t, out, "MISMATCH")

	// Someone who may not see the run gets nothing.
	other := signInAs(t, s, "mallory")
	r := testenv.Value(other, chromedp.NavigateResponse(s.url+"/runs/"+run+"/evidence"))
	require.EqualValues(t, http.StatusNotFound, r.Status)
}

// TestOwnerReport is issue 17's test 4: a report page renders its charts for a
// definition with completed runs, and its CSV equals the API's figures.
func TestOwnerReport(t *testing.T) {
	s := webStack(t, false)
	s.do("dana", "POST", "/v1/definitions", webLaptopOrder).must(t, http.StatusCreated)
	done, task := startLaptopOrder(t, s, "Jane Doe")
	startLaptopOrder(t, s, "Omar Haddad")
	s.do("olga", "POST", "/v1/tasks/"+task+"/complete", map[string]any{"data": map[string]any{"model": "X1"}}).must(t, http.StatusOK)
	waitStatus(t, s, done, "completed")
	// The report reads the projection, which follows the run: wait until it has the
	// completed task.
	eventually(t, func() bool {
		rep := s.do("dana", "GET", "/v1/reports/definitions/laptop-order", nil).must(t, http.StatusOK)
		steps, _ := rep["steps"].([]any)
		for _, st := range steps {
			if st.(map[string]any)["completed"] == float64(1) {
				return true
			}
		}
		return false
	}, "the report to count the completed task")

	tab := signInAs(t, s, "dana")
	tab.Do(chromedp.Navigate(s.url + "/definitions/laptop-order/versions/1"))
	tab.Do(chromedp.Click(chromedp.CSS(`a[href="/reports/laptop-order"]`), chromedp.NodeVisible))
	// The path changes when the navigation commits; the charts are there once the page has loaded.
	tab.WaitFor(`location.pathname === "/reports/laptop-order" && document.readyState === "complete"`, "the report")
	charts := testenv.Eval[[]string](tab, `[...document.querySelectorAll(".report-chart h2")].map(e => e.textContent)`)
	require.Contains(t, charts, "Cycle time of the completed runs")
	require.Contains(t, charts, "Wait per step (where work stalls)")
	require.Contains(t, charts, "Runs started per day, and how many of them completed")
	require.GreaterOrEqual(t, testenv.Eval[int](tab, `document.querySelectorAll(".report-chart svg.chart rect").length`), 6)
	tab.Axe()
	tab.Screenshot("owner-report")
	tab.RequireNoCSPViolation()

	href := testenv.Eval[string](tab, `document.querySelector('.report-chart a[href*="table=steps"]').getAttribute("href")`)
	q, err := url.Parse(href)
	require.NoError(t, err)
	rep := s.do("dana", "GET", "/v1/reports/definitions/laptop-order?"+url.Values{"from": {q.Query().Get("from")}, "to": {q.Query().Get("to")}}.Encode(), nil).must(t, http.StatusOK)
	runs := rep["runs"].(map[string]any)
	require.EqualValues(t, 2, runs["started"])
	require.EqualValues(t, 1, runs["completed"])

	readCSV := func(path string) [][]string {
		res, body := sessionGet(t, s, tab, path)
		require.Equal(t, http.StatusOK, res.StatusCode, string(body))
		require.Contains(t, res.Header.Get("Content-Type"), "text/csv")
		rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		require.NoError(t, err)
		return rows
	}
	num := func(v any) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(v.(float64), 'f', -1, 64)
	}
	steps := readCSV(href)
	require.Equal(t, []string{"step", "tasks", "completed", "wait_p50_seconds", "wait_p90_seconds", "overdue", "rework", "exceptions", "rejected"}, steps[0])
	apiSteps := rep["steps"].([]any)
	require.Len(t, steps, len(apiSteps)+1)
	for i, st := range apiSteps {
		m := st.(map[string]any)
		w := m["wait"].(map[string]any)
		require.Equal(t, []string{m["step"].(string), num(m["tasks"]), num(m["completed"]), num(w["p50_seconds"]), num(w["p90_seconds"]),
			num(m["overdue"]), num(m["rework"]), num(m["exceptions"]), num(m["rejected"])}, steps[i+1])
	}
	require.Equal(t, "pick", steps[1][0])
	require.Equal(t, "2", steps[1][1])
	base := strings.Replace(href, "table=steps", "table=", 1)
	require.Equal(t, [][]string{{"started", "running", "completed", "failed", "cancelled"},
		{num(runs["started"]), num(runs["running"]), num(runs["completed"]), num(runs["failed"]), num(runs["cancelled"])}},
		readCSV(strings.Replace(base, "table=", "table=runs", 1)))
	ct := rep["cycle_time"].(map[string]any)
	require.NotNil(t, ct["p50_seconds"])
	require.Equal(t, [][]string{{"p50_seconds", "p90_seconds"}, {num(ct["p50_seconds"]), num(ct["p90_seconds"])}},
		readCSV(strings.Replace(base, "table=", "table=cycle_time", 1)))
	daily := readCSV(strings.Replace(base, "table=", "table=daily", 1))
	started := 0
	for _, row := range daily[1:] {
		n, err := strconv.Atoi(row[1])
		require.NoError(t, err)
		started += n
	}
	require.Equal(t, 2, started, "the days add up to the range")

	// A member may not read reports: the API's refusal.
	member := signInAs(t, s, "bob")
	r := testenv.Value(member, chromedp.NavigateResponse(s.url+"/reports/laptop-order"))
	require.EqualValues(t, http.StatusForbidden, r.Status)
}

// ownerFlow routes small amounts to one task and big ones to another.
const ownerFlow = `key: owner-flow
name: Owner flow
inputs:
  - {id: amount, type: number, required: true}
roles:
  buyer: {user: olga}
steps:
  - id: route
    kind: decision
    rules:
      - when: inputs.amount > 100
        goto: big
    default: small
  - id: big
    title: Big order
    assignee: buyer
    next: finish
  - id: small
    title: Small order
    assignee: buyer
  - id: check
    title: Check the order
    assignee: buyer
  - id: finish
    kind: end
`

// TestOwnerRunDiagram is issue 17's test 3: the run page's diagram marks the steps the
// run has passed, its current step and the steps not reached, and follows the run.
func TestOwnerRunDiagram(t *testing.T) {
	s := webStack(t, false)
	s.do("dana", "POST", "/v1/definitions", ownerFlow).must(t, http.StatusCreated)
	run := s.do("olga", "POST", "/v1/runs", map[string]any{"definition": "owner-flow", "inputs": map[string]any{"amount": 5}}).must(t, http.StatusCreated)
	id := run["id"].(string)
	task := run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)

	tab := signInAs(t, s, "olga")
	states := func() map[string]string {
		return testenv.Eval[map[string]string](tab, `Object.fromEntries([...document.querySelectorAll("svg.flow g.node[data-step]")].map(g =>
			[g.dataset.step, (g.getAttribute("class").match(/st-([a-z-]+)/) || [,""])[1]]))`)
	}
	tab.Do(chromedp.Navigate(s.url + "/runs/" + id))
	require.Equal(t, map[string]string{"route": "done", "small": "current", "big": "not-reached", "check": "not-reached", "finish": "not-reached"}, states())
	require.Contains(t, testenv.Eval[string](tab, `document.querySelector('svg.flow g.node[data-step="small"] title').textContent`), "current")
	tab.Axe()
	tab.Screenshot("owner-run-diagram")

	s.do("olga", "POST", "/v1/tasks/"+task+"/complete", map[string]any{"data": map[string]any{}}).must(t, http.StatusOK)
	require.Eventually(t, func() bool {
		tab.Do(chromedp.Navigate(s.url + "/runs/" + id))
		return states()["check"] == "current"
	}, 20*time.Second, 200*time.Millisecond)
	require.Equal(t, map[string]string{"route": "done", "small": "done", "big": "not-reached", "check": "current", "finish": "not-reached"}, states())
	tab.RequireNoCSPViolation()
}

// TestOwnerWebhookSecrets: a designer adds a trigger's secret on its page (shown once),
// a delivery signed with it is accepted, a second one can be added to rotate, a third
// is refused in the API's words, and a deleted secret signs nothing.
func TestOwnerWebhookSecrets(t *testing.T) {
	s := webStack(t, false, withSecretsKey)
	s.do("dana", "POST", "/v1/definitions", exampleSource(t, "employee-onboarding")).must(t, http.StatusCreated)
	tab := signInAs(t, s, "dana")
	tab.Do(chromedp.Navigate(s.url + "/definitions/employee-onboarding/versions/1"))
	tab.Do(chromedp.Click(chromedp.CSS(`a[href="/definitions/employee-onboarding/hooks"]`), chromedp.NodeVisible))
	tab.WaitFor(`!!document.querySelector('section[data-trigger="ats-hired"]')`, "the trigger")
	tab.Do(chromedp.Click(chromedp.CSS(`section[data-trigger="ats-hired"] form button`), chromedp.NodeVisible))
	tab.WaitFor(`!!document.getElementById("new-secret")`, "the new secret")
	secret := tab.Text("#new-secret")
	require.True(t, strings.HasPrefix(secret, "whsec_"), secret)
	tab.Axe()
	tab.Screenshot("owner-webhook-secret")

	hook := sender{t: t, url: s.url + "/v1/hooks/employee-onboarding/ats-hired", secret: secret}
	other := []byte(`{"event": "candidate.withdrawn"}`)
	require.NotEqual(t, http.StatusUnauthorized, hook.deliver("msg-1", other).status, "the secret signs deliveries")

	tab.Do(chromedp.Navigate(s.url + "/definitions/employee-onboarding/hooks"))
	require.NotContains(t, testenv.Eval[string](tab, `document.body.innerHTML`), secret, "shown once")
	tab.Do(chromedp.Click(chromedp.CSS(`section[data-trigger="ats-hired"] > form button`), chromedp.NodeVisible))
	tab.WaitFor(`!!document.getElementById("new-secret")`, "the second secret")
	tab.Do(chromedp.Click(chromedp.CSS(`section[data-trigger="ats-hired"] > form button`), chromedp.NodeVisible))
	tab.WaitFor(`!!document.querySelector(".problem")`, "the third refused")
	require.Contains(t, tab.Text(".problem"), "already has 2 secrets")

	first := testenv.Eval[string](tab, `document.querySelector('tr[data-secret]').dataset.secret`)
	tab.Do(chromedp.Click(chromedp.CSS(`tr[data-secret="`+first+`"] button`), chromedp.NodeVisible))
	tab.WaitFor(`location.search.includes("deleted=") && document.querySelectorAll("tr[data-secret]").length === 1`, "the secret deleted")
	require.Equal(t, http.StatusUnauthorized, hook.deliver("msg-2", other).status, "a deleted secret signs nothing")
	tab.RequireNoCSPViolation()
}

// TestOwnerSchedules: a designer creates a schedule from the start form (a refused one
// keeps what was typed and names the field), sees its next runs, pauses, unpauses and
// deletes it, each through the API's operations.
func TestOwnerSchedules(t *testing.T) {
	s := webStack(t, false)
	s.do("dana", "POST", "/v1/definitions", webLaptopOrder).must(t, http.StatusCreated)
	tab := signInAs(t, s, "dana")
	tab.Do(chromedp.Navigate(s.url + "/definitions/laptop-order/versions/1"))
	tab.Do(chromedp.Click(chromedp.CSS(`a[href="/definitions/laptop-order/schedules"]`), chromedp.NodeVisible))
	tab.WaitFor(`location.pathname === "/definitions/laptop-order/schedules"`, "the schedules page")
	tab.Do(chromedp.SendKeys(chromedp.ID("cron"), "not a cron"), chromedp.SendKeys(chromedp.ID("f-employee"), "Jane Doe"),
		chromedp.Click(chromedp.CSS(`form[action="/definitions/laptop-order/schedules"] button[type=submit]`), chromedp.NodeVisible))
	tab.WaitFor(`!!document.querySelector(".problem")`, "the refusal")
	require.Equal(t, "Jane Doe", testenv.Eval[string](tab, `document.getElementById("f-employee").value`))
	require.Equal(t, "not a cron", testenv.Eval[string](tab, `document.getElementById("cron").value`))
	tab.Axe()

	tab.Do(chromedp.Evaluate[chromedp.Void](`document.getElementById("cron").value = ""`), chromedp.SendKeys(chromedp.ID("interval"), "24h"),
		chromedp.Click(chromedp.CSS(`form[action="/definitions/laptop-order/schedules"] button[type=submit]`), chromedp.NodeVisible))
	tab.WaitFor(`document.querySelectorAll("tr[data-schedule]").length === 1`, "the schedule listed")
	require.Contains(t, tab.Text(".sched-state"), "active")
	require.NotEqual(t, "none", tab.Text(".next-runs"))
	list := s.do("dana", "GET", "/v1/schedules?definition=laptop-order", nil).must(t, http.StatusOK)
	sched := list["schedules"].([]any)[0].(map[string]any)
	require.Equal(t, map[string]any{"employee": "Jane Doe"}, sched["inputs"])
	tab.Axe()
	tab.Screenshot("owner-schedules")

	tab.Do(chromedp.Click(chromedp.CSS(`tr[data-schedule] button[aria-label^="Pause"]`), chromedp.NodeVisible))
	tab.WaitFor(`document.querySelector(".sched-state") && document.querySelector(".sched-state").textContent.includes("paused")`, "paused")
	tab.Do(chromedp.Click(chromedp.CSS(`tr[data-schedule] button[aria-label^="Unpause"]`), chromedp.NodeVisible))
	tab.WaitFor(`document.querySelector(".sched-state") && document.querySelector(".sched-state").textContent.includes("active")`, "unpaused")
	tab.Do(chromedp.Click(chromedp.CSS(`tr[data-schedule] button[aria-label^="Delete"]`), chromedp.NodeVisible))
	tab.WaitFor(`document.querySelectorAll("tr[data-schedule]").length === 0`, "deleted")
	require.Empty(t, s.do("dana", "GET", "/v1/schedules?definition=laptop-order", nil).must(t, http.StatusOK)["schedules"])
	tab.RequireNoCSPViolation()
}

// TestOwnerSubscriptions: an admin subscribes a URL to events (the signing secret shown
// once; a bad URL refused next to its field), sees it listed and deletes it.
func TestOwnerSubscriptions(t *testing.T) {
	s := webStack(t, false, withSecretsKey, func(c *Config) { c.HTTPAllow = "127.0.0.1:9" })
	tab := signInAs(t, s, "admin")
	tab.Do(chromedp.Navigate(s.url+"/admin/users"), chromedp.Click(chromedp.CSS(`a[href="/admin/subscriptions"]`), chromedp.NodeVisible))
	tab.WaitFor(`location.pathname === "/admin/subscriptions"`, "the subscriptions page")
	tab.Do(chromedp.SendKeys(chromedp.ID("s-url"), "ftp://nowhere"), chromedp.Click(chromedp.CSS(`input[value="run.completed"]`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(`form[action="/admin/subscriptions"] button`), chromedp.NodeVisible))
	tab.WaitFor(`!!document.getElementById("s-url-err")`, "the URL refused")
	require.True(t, testenv.Eval[bool](tab, `document.querySelector('input[value="run.completed"]').checked`), "what was chosen is kept")
	tab.Axe()
	tab.Do(chromedp.Evaluate[chromedp.Void](`document.getElementById("s-url").value = "http://127.0.0.1:9/hook"`),
		chromedp.Click(chromedp.CSS(`form[action="/admin/subscriptions"] button`), chromedp.NodeVisible))
	tab.WaitFor(`!!document.getElementById("new-secret")`, "the new subscription's secret")
	require.True(t, strings.HasPrefix(tab.Text("#new-secret"), "whsec_"))
	require.Contains(t, tab.Text("tr[data-subscription]"), "run.completed")
	tab.Axe()
	tab.Screenshot("owner-subscriptions")
	subs := s.do("admin", "GET", "/v1/subscriptions", nil).must(t, http.StatusOK)["subscriptions"].([]any)
	require.Len(t, subs, 1)
	require.Equal(t, []any{"run.completed"}, subs[0].(map[string]any)["events"])
	tab.Do(chromedp.Click(chromedp.CSS(`tr[data-subscription] button`), chromedp.NodeVisible))
	tab.WaitFor(`location.search.includes("deleted=") && document.querySelectorAll("tr[data-subscription]").length === 0`, "deleted")
	require.Empty(t, s.do("admin", "GET", "/v1/subscriptions", nil).must(t, http.StatusOK)["subscriptions"])
	tab.RequireNoCSPViolation()
}
