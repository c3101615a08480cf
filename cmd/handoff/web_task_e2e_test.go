package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/oauth2-proxy/mockoidc"
	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/internal/smtptest"
	"github.com/handoffhq/handoff/internal/testenv"
	"github.com/handoffhq/handoff/postgres"
)

// webExpense has a form with every field type, a visible_when field and a validate
// rule; then an approval by two people (policy all), then a task for a group.
const webExpense = `key: web-expense
name: Expense claim
summary: "Expense of {{ inputs.employee }}"
inputs:
  - id: employee
    label: Employee
    required: true
    help: Whose expenses these are.
  - id: note
    label: Note
    type: long_text
roles:
  claimant: { user: olga }
  board: { users: [carl, hana] }
  finance: { group: finance }
steps:
  - id: claim
    title: "Claim expenses for {{ inputs.employee }}"
    assignee: claimant
    form:
      - id: amount
        label: Amount
        type: number
        required: true
        help: In euros, VAT included.
        validate:
          - expr: "form.amount <= 1000"
            message: "Amounts over 1000 need a manager first"
      - id: reason
        label: Why over 500?
        type: long_text
        required: true
        visible_when: "has(form.amount) && form.amount > 500"
      - id: title
        label: Title
        default: Travel
      - id: paid
        label: Paid with a company card
        type: boolean
      - id: day
        label: Day
        type: date
      - id: booked
        label: Booked at
        type: datetime
      - id: kind
        label: Kind
        type: select
        options: [{value: train, label: Train}, {value: plane, label: Plane}]
      - id: tags
        label: Tags
        type: multi_select
        options: [work, client]
      - id: contact
        label: Contact email
        type: email
      - id: site
        label: Booking site
        type: url
      - id: buddy
        label: Travelled with
        type: user
      - id: receipt
        label: Receipt
        type: file
      - id: lines
        label: Lines
        type: table
        fields:
          - {id: what, label: What, required: true}
          - {id: cost, label: Cost, type: number}
  - id: check
    kind: approval
    title: "Check the expense of {{ inputs.employee }}"
    assignee: board
    policy: all
  - id: pay
    title: "Pay {{ inputs.employee }}"
    assignee: finance
`

// webUsers are the people of the web tests, with the emails they sign in with.
func webUsers(s *stack) {
	s.addUser(postgres.User{ID: "carl", Name: "Carl Checker", Email: "carl@example.com", Role: "member"})
	s.addUser(postgres.User{ID: "fay", Name: "Fay Finance", Email: "fay@example.com", Role: "member", Groups: []string{"finance"}})
	s.addUser(postgres.User{ID: "gus", Name: "Gus Finance", Email: "gus@example.com", Role: "member", Groups: []string{"finance"}})
	s.addUser(postgres.User{ID: "hana", Name: "Hana Helper", Email: "hana@example.com", Role: "member"})
	s.addUser(postgres.User{ID: "ivy", Name: "Ivy Outsider", Email: "ivy@example.com", Role: "member"})
}

// oidcWebStack is a web stack signing in through mockoidc.
func oidcWebStack(t *testing.T, opts ...func(*Config)) (*stack, *mockoidc.MockOIDC) {
	t.Helper()
	idp, err := mockoidc.Run()
	require.NoError(t, err)
	t.Cleanup(func() { _ = idp.Shutdown() })
	s := webStack(t, false, append([]func(*Config){func(c *Config) {
		c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret = idp.Issuer(), idp.ClientID, idp.ClientSecret
		c.TemporalWebURL = "http://localhost:8233"
	}}, opts...)...)
	webUsers(s)
	return s, idp
}

// signIn opens a browser tab signed in through the identity provider as email.
func signIn(t *testing.T, s *stack, idp *mockoidc.MockOIDC, email string) *testenv.Tab {
	t.Helper()
	idp.QueueUser(&mockoidc.MockUser{Subject: email, Email: email, EmailVerified: true})
	tab := testenv.Browser(t)
	tab.Do(chromedp.Navigate(s.url+"/signin"), chromedp.Click(chromedp.CSS("a.button.primary"), chromedp.NodeVisible))
	tab.WaitFor(`location.pathname === "/" && !!document.querySelector("#inbox-list")`, "the inbox of "+email)
	return tab
}

// inboxTitles is the JS that lists the titles of a tab's inbox.
const inboxTitles = `[...document.querySelectorAll("#inbox-list .title")].map(e => e.textContent)`

// TestWebTaskPage is issue 16's tests 2 and 3: a form with every field type, a
// visible_when field that the server shows and hides as the person types, a failing
// validate rule shown next to its field with every typed value kept, a table's rows
// added and removed, a completion that puts the next task in the next assignees'
// inboxes without a reload; an approval with its policy, votes and a comment; a group
// task claimed by one member leaving the other's inbox, released and back in it live;
// reassigning to a person picked from the directory.
func TestWebTaskPage(t *testing.T) {
	s, idp := oidcWebStack(t)
	s.do("dana", "POST", "/v1/definitions", webExpense).must(t, http.StatusCreated)
	run := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "web-expense",
		"inputs": map[string]any{"employee": "Jane " + hostile}}).must(t, http.StatusCreated)
	runID := run["id"].(string)
	taskID := run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)

	carl := signIn(t, s, idp, "carl@example.com") // the next assignee, watching his inbox
	carl.WaitFor(`document.body.dataset.live === "open"`, "carl's live inbox")
	carl.Do(chromedp.Evaluate[chromedp.Void](`window.sameDocument = true`))

	olga := signIn(t, s, idp, "olga@example.com")
	openFirstTask(olga)
	require.Equal(t, "/tasks/"+taskID, pathOf(t, testenv.Value(olga, chromedp.Location())))
	require.Equal(t, "Claim expenses for Jane "+hostile, olga.Text("h1"))
	require.Contains(t, olga.Text(".crumbs"), "Expense of Jane")
	require.Equal(t, "Travel", testenv.Eval[string](olga, `document.getElementById("f-title").value`), "the default")
	require.Contains(t, olga.Text(`label[for="f-amount"]`), "(required)")
	require.Equal(t, "In euros, VAT included.", olga.Text("#f-amount-help"))
	for _, id := range []string{"f-paid", "f-day", "f-booked", "f-kind", "f-tags-0", "f-contact", "f-site", "f-buddy", "f-receipt-url", "f-receipt-sum"} {
		require.True(t, testenv.Eval[bool](olga, `!!document.getElementById("`+id+`")`), id)
	}
	require.Equal(t, "datetime-local", testenv.Eval[string](olga, `document.getElementById("f-booked").type`))
	olga.Axe()
	olga.Screenshot("web-task")
	requireCSP(t, olga, s.url+"/tasks/"+taskID)
	olga.Do(chromedp.EmulateViewport(375, 812), chromedp.Reload())
	olga.WaitFor(`!!document.getElementById("f-amount")`, "the task page on a phone")
	require.LessOrEqual(t, testenv.Eval[int](olga, `document.documentElement.scrollWidth`), 375, "no sideways scrolling")
	olga.Screenshot("web-task-phone")
	olga.Do(chromedp.EmulateViewport(1280, 900))

	// visible_when, evaluated by the server as the person types.
	hidden := `document.getElementById("w-f-reason").hidden`
	require.True(t, testenv.Eval[bool](olga, hidden))
	olga.Do(chromedp.SendKeys("#f-amount", "1200"))
	olga.WaitFor(`!`+hidden, "the reason field to appear")
	olga.Do(chromedp.Evaluate[chromedp.Void](`document.getElementById("f-amount").value = ""; document.getElementById("f-amount").dispatchEvent(new Event("input", {bubbles: true}))`))
	olga.WaitFor(hidden, "the reason field to disappear")
	olga.Do(chromedp.SendKeys("#f-amount", "1200"))
	olga.WaitFor(`!`+hidden, "the reason field to appear again")

	// A table's rows, added and removed by the server.
	olga.Do(chromedp.Click(`button[value="add:f.lines"]`, chromedp.NodeVisible))
	olga.WaitFor(`!!document.getElementById("f-lines-0-what")`+settled, "a first row")
	olga.Do(chromedp.SendKeys("#f-lines-0-what", "Train"), chromedp.Click(`button[value="add:f.lines"]`, chromedp.NodeVisible))
	olga.WaitFor(`!!document.getElementById("f-lines-1-what")`+settled, "a second row")
	require.Equal(t, "Train", testenv.Eval[string](olga, `document.getElementById("f-lines-0-what").value`))
	olga.Do(chromedp.SendKeys("#f-lines-1-what", "Hotel"), chromedp.SendKeys("#f-lines-1-cost", "90"),
		chromedp.Click(`button[value="add:f.lines"]`, chromedp.NodeVisible))
	olga.WaitFor(`!!document.getElementById("f-lines-2-what")`+settled, "a third row")
	olga.Do(chromedp.Click(`button[value="remove:f.lines.0"]`, chromedp.NodeVisible))
	olga.WaitFor(`!document.getElementById("f-lines-2-what") && document.getElementById("f-lines-0-what").value === "Hotel"`, "the first row removed")

	// The person picker lists people of the directory.
	olga.Do(chromedp.SendKeys("#f-buddy", "Hana"))
	olga.WaitFor(`[...document.querySelectorAll("#f-buddy-people option")].some(o => o.value === "hana")`, "the picker's choices")
	require.Equal(t, "Hana Helper", testenv.Eval[string](olga, `document.querySelector("#f-buddy-people option[value=hana]").textContent`))
	olga.Do(chromedp.Evaluate[chromedp.Void](`document.getElementById("f-buddy").value = "hana"`))

	// A failing validate rule and a required field left empty: errors next to the
	// fields, everything typed kept.
	olga.Do(chromedp.SendKeys("#f-site", "javascript:alert(1)"), chromedp.SendKeys("#f-contact", "olga@example.com"),
		chromedp.Click(`#f-tags-1`), chromedp.Click(`#f-paid`), chromedp.SetValue("#f-day", "2027-01-04"),
		chromedp.SetValue("#f-kind", "plane"), chromedp.SendKeys("#comment", "Receipts attached"))
	press(olga, `.task-form .actions button.primary`)
	olga.WaitFor(`!!document.querySelector(".alert")`, "the refusal")
	require.Equal(t, "Amounts over 1000 need a manager first", olga.Text("#f-amount-error"))
	require.Equal(t, "is required", olga.Text("#f-reason-error"))
	require.Contains(t, olga.Text("#f-site-error"), "http or https URL")
	for id, want := range map[string]string{"f-amount": "1200", "f-contact": "olga@example.com", "f-site": "javascript:alert(1)",
		"f-lines-0-what": "Hotel", "f-lines-0-cost": "90", "f-lines-1-what": "", "f-day": "2027-01-04", "f-kind": "plane",
		"f-buddy": "hana", "comment": "Receipts attached", "f-title": "Travel"} {
		require.Equal(t, want, testenv.Eval[string](olga, `document.getElementById("`+id+`").value`), id)
	}
	require.True(t, testenv.Eval[bool](olga, `document.getElementById("f-tags-1").checked && document.getElementById("f-paid").checked`))
	require.Equal(t, "is required", olga.Text("#f-lines-1-what-error"), "a table cell's error in its cell")
	require.Zero(t, testenv.Eval[int](olga, `document.querySelectorAll("main a[href^='javascript']").length`))
	olga.Axe()
	olga.Screenshot("web-task-errors")

	// Fixed and submitted: the approval appears in carl's inbox without a reload.
	olga.Do(chromedp.Evaluate[chromedp.Void](`document.getElementById("f-amount").value = ""`),
		chromedp.SendKeys("#f-amount", "800"), chromedp.SendKeys("#f-reason", "Two nights"),
		chromedp.SetValue("#f-site", "https://rail.example"), chromedp.Click(`button[value="remove:f.lines.1"]`, chromedp.NodeVisible))
	olga.WaitFor(`!document.getElementById("f-lines-1-what")`+settled, "the empty row removed")
	press(olga, `.task-form .actions button.primary`)
	olga.WaitFor(`location.pathname === "/"`, "the inbox after completing")
	carl.WaitFor(`[...document.querySelectorAll("#inbox-list .title")].some(e => e.textContent.startsWith("Check the expense of Jane"))`, "the approval in carl's inbox")
	require.True(t, testenv.Eval[bool](carl, `window.sameDocument === true`), "carl's page was not reloaded")
	got := s.do("admin", "GET", "/v1/tasks/"+taskID, nil).must(t, http.StatusOK)["data"].(map[string]any)
	require.Equal(t, 800.0, got["amount"])
	require.Equal(t, []any{map[string]any{"what": "Hotel", "cost": 90.0}}, got["lines"])
	require.Equal(t, "hana", got["buddy"])
	require.Equal(t, []any{"client"}, got["tags"])
	require.Equal(t, true, got["paid"])
	// The completed task: its answers shown, nothing to change; the hostile URL is no link.
	olga.Do(chromedp.Navigate(s.url + "/tasks/" + taskID))
	require.Contains(t, olga.Text(".meta"), "completed by olga")
	require.Equal(t, "800", testenv.Eval[string](olga, `document.getElementById("f-amount").value`))
	require.True(t, testenv.Eval[bool](olga, `document.getElementById("f-amount").disabled`))
	require.Zero(t, testenv.Eval[int](olga, `document.querySelectorAll(".task-form button, main a[href^='javascript']").length`))
	olga.Axe()

	// The approval: policy, votes so far, a comment; carl approves, bob sees his vote.
	openFirstTask(carl)
	carl.WaitFor(`!!document.querySelector(".approval")`, "the approval page")
	require.Contains(t, carl.Text(".approval"), "Every approver must approve (2 approvals)")
	require.Contains(t, carl.Text(".approval"), "0 votes so far")
	require.Equal(t, []string{"Approve", "Reject"}, testenv.Eval[[]string](carl, `[...document.querySelectorAll(".task-form .actions button")].map(b => b.textContent)`))
	require.Contains(t, testenv.Eval[string](carl, `document.querySelector(".context").textContent`), "Two nights", "earlier steps' data")
	carl.Axe()
	carl.Screenshot("web-approval")
	carl.Do(chromedp.SendKeys("#comment", "Fine "+hostile), chromedp.Click(`button[value="approved"]`, chromedp.NodeVisible))
	carl.WaitFor(`location.pathname === "/"`, "carl's inbox after approving")
	hana := signIn(t, s, idp, "hana@example.com")
	openFirstTask(hana)
	hana.WaitFor(`!!document.querySelector(".approval")`, "hana's approval page")
	require.Contains(t, hana.Text(".approval"), "1 vote so far")
	require.Contains(t, hana.Text(".votes"), "carl approved")
	require.Contains(t, hana.Text(".votes"), "Fine "+hostile)
	require.Zero(t, testenv.Eval[int](hana, `document.querySelectorAll("main script, main img, main [onerror]").length`), "hostile text stays text")
	hana.Do(chromedp.Click(`button[value="approved"]`, chromedp.NodeVisible))
	hana.WaitFor(`location.pathname === "/"`, "hana's inbox after approving")

	// The group's task: in both members' inboxes; fay claims it, it leaves gus's.
	fay := signIn(t, s, idp, "fay@example.com")
	gus := signIn(t, s, idp, "gus@example.com")
	pay := "Pay Jane " + hostile
	gus.WaitFor(`document.body.dataset.live === "open"`, "gus's live inbox")
	require.Equal(t, []string{pay}, testenv.Eval[[]string](gus, inboxTitles))
	require.Contains(t, gus.Text("#inbox-list .meta"), "for the finance group")
	openFirstTask(fay)
	fay.WaitFor(`!!document.querySelector("form.claim")`, "the claim button")
	require.Zero(t, testenv.Eval[int](fay, `document.querySelectorAll(".task-form .actions button").length`), "no completing before claiming")
	fay.Axe()
	fay.Do(chromedp.Click(`form.claim button`, chromedp.NodeVisible))
	fay.WaitFor(`!document.querySelector("form.claim") && document.querySelector(".meta").textContent.includes("claimed by fay")`, "the task claimed")
	gus.WaitFor(`document.querySelectorAll("#inbox-list .task").length === 0`, "the claimed task to leave gus's inbox")
	gus.Do(chromedp.Evaluate[chromedp.Void](`window.sameDocument = true`))
	// fay releases it: back in gus's inbox without a reload; she claims it again.
	require.Contains(t, fay.Text("form.release"), "finance group")
	fay.Axe()
	fay.Do(chromedp.Click(`form.release button`, chromedp.NodeVisible))
	fay.WaitFor(`!!document.querySelector("form.claim") && !document.querySelector(".meta").textContent.includes("claimed by")`, "the task released")
	waitInbox(gus, pay, true)
	require.True(t, testenv.Eval[bool](gus, `window.sameDocument === true`), "gus's page was not reloaded")
	fay.Do(chromedp.Click(`form.claim button`, chromedp.NodeVisible))
	fay.WaitFor(`!!document.querySelector("form.release") && document.querySelector(".meta").textContent.includes("claimed by fay")`, "the task claimed again")
	gus.WaitFor(`document.querySelectorAll("#inbox-list .task").length === 0`, "the task to leave gus's inbox again")
	ivy := signIn(t, s, idp, "ivy@example.com")
	res := testenv.Value(ivy, chromedp.NavigateResponse(s.url+"/tasks/"+taskID))
	require.EqualValues(t, http.StatusNotFound, res.Status, "a task of a run ivy may not see")
	require.NotContains(t, ivy.Text("main"), "Jane")

	// Reassigned to a person picked from the directory.
	fay.Do(chromedp.Click(`.handover summary`, chromedp.NodeVisible), chromedp.SendKeys("#to", "Hana"))
	fay.WaitFor(`[...document.querySelectorAll("#to-people option")].some(o => o.value === "hana")`, "the directory's choices")
	fay.Do(chromedp.SetValue("#to", "hana"), chromedp.Click(`.handover button[type=submit]`, chromedp.NodeVisible))
	fay.WaitFor(`location.pathname === "/"`, "fay's inbox after reassigning")
	hana.Do(chromedp.Navigate(s.url + "/"))
	waitInbox(hana, pay, true)
	reassigned := s.do("admin", "GET", "/v1/runs/"+runID, nil).must(t, http.StatusOK)["open_tasks"].([]any)[0].(map[string]any)
	require.Equal(t, []any{"hana"}, reassigned["assignees"])
	for _, tab := range []*testenv.Tab{olga, carl, hana, fay, gus} {
		tab.RequireNoCSPViolation()
	}
}

// settled is true once htmx has swapped and processed a form's new fields, so that
// their buttons work.
const settled = ` && !document.querySelector(".htmx-request, .htmx-settling, .htmx-added, .htmx-swapping")`

// waitInbox waits until the tab's inbox lists (or no longer lists) a task titled title.
func waitInbox(tab *testenv.Tab, title string, present bool) {
	js, _ := json.Marshal(title)
	cond := `[...document.querySelectorAll("#inbox-list .title")].some(e => e.textContent === ` + string(js) + `)`
	if !present {
		cond = "!" + cond
	}
	tab.WaitFor(cond, fmt.Sprintf("%q in the inbox: %v", title, present))
}

// openFirstTask opens the task page the inbox's first task links to.
func openFirstTask(tab *testenv.Tab) {
	tab.WaitFor(`!!document.querySelector("#inbox-list a.title")`, "a task in the inbox")
	href := testenv.Eval[string](tab, `document.querySelector("#inbox-list a.title").href`)
	tab.Do(chromedp.Navigate(href))
	tab.WaitFor(`location.pathname.startsWith("/tasks/") && !!document.querySelector("h1")`, "the task page")
}

// TestWebStartAndRun is issue 16's test 4: a person starts a run from a definition's
// start form (a refused start shows the error next to its field and keeps what was
// typed), lands on the run page: the checklist of every step, the audit timeline, the
// link to Temporal Web; the starter cancels it with a reason. Someone who may not see
// the run gets the page of a run that does not exist.
func TestWebStartAndRun(t *testing.T) {
	s, idp := oidcWebStack(t)
	s.do("dana", "POST", "/v1/definitions", webExpense).must(t, http.StatusCreated)
	olga := signIn(t, s, idp, "olga@example.com")
	olga.Do(chromedp.Click(`nav a[href="/start"]`, chromedp.NodeVisible))
	olga.WaitFor(`location.pathname === "/start"`, "the list of processes")
	olga.Axe()
	requireCSP(t, olga, s.url+"/start")
	requireCSP(t, olga, s.url+"/definitions/web-expense/start")
	olga.Do(chromedp.Navigate(s.url+"/start"), chromedp.Click(`a[href="/definitions/web-expense/start"]`, chromedp.NodeVisible))
	olga.WaitFor(`!!document.getElementById("f-employee")`, "the start form")
	require.Equal(t, "Whose expenses these are.", olga.Text("#f-employee-help"))
	olga.Axe()
	olga.Screenshot("web-start")
	olga.Do(chromedp.SendKeys("#f-note", "Trip "+hostile))
	press(olga, `.task-form button.primary`)
	olga.WaitFor(`!!document.getElementById("f-employee-error") && document.readyState === "complete"`, "the refusal")
	require.Equal(t, "is required", olga.Text("#f-employee-error"))
	require.Equal(t, "Trip "+hostile, testenv.Eval[string](olga, `document.getElementById("f-note").value`))
	olga.Do(chromedp.WaitVisible("#f-employee"), chromedp.SendKeys("#f-employee", "Omar "+hostile))
	press(olga, `.task-form button.primary`)
	olga.WaitFor(`location.pathname.startsWith("/runs/")`, "the run page")
	runID := strings.TrimPrefix(pathOf(t, testenv.Value(olga, chromedp.Location())), "/runs/")
	require.Equal(t, "Expense of Omar "+hostile, olga.Text("h1"))
	steps := testenv.Eval[[]string](olga, `[...document.querySelectorAll(".checklist .step")].map(e => e.querySelector(".step-title").textContent + ": " + e.querySelector(".state").textContent)`)
	require.Equal(t, []string{"Claim expenses for Omar " + hostile + ": open", "Check: not reached", "Pay: not reached"}, steps)
	require.Contains(t, olga.Text(".checklist .step-open"), "olga")
	require.Contains(t, olga.Text(".timeline"), "run started")
	require.Contains(t, testenv.Eval[string](olga, `document.querySelector("a[href*='/namespaces/']").href`), "/namespaces/default/workflows/"+runID)
	require.Zero(t, testenv.Eval[int](olga, `document.querySelectorAll("main script, main img, main [onerror]").length`), "hostile text stays text")
	olga.Axe()
	olga.Screenshot("web-run")
	requireCSP(t, olga, s.url+"/runs/"+runID)
	olga.Do(chromedp.EmulateViewport(375, 812), chromedp.Reload())
	olga.WaitFor(`!!document.querySelector(".checklist")`, "the run page on a phone")
	require.LessOrEqual(t, testenv.Eval[int](olga, `document.documentElement.scrollWidth`), 375, "no sideways scrolling")
	olga.Screenshot("web-run-phone")
	olga.Do(chromedp.EmulateViewport(1280, 900))

	// Someone who may not see it: as if there were no such run.
	gus := signIn(t, s, idp, "gus@example.com")
	res := testenv.Value(gus, chromedp.NavigateResponse(s.url+"/runs/"+runID))
	require.EqualValues(t, http.StatusNotFound, res.Status)
	require.NotContains(t, gus.Text("main"), "Omar")

	// The starter cancels it, with a reason.
	olga.Do(chromedp.Click(`.handover summary`, chromedp.NodeVisible), chromedp.Click(`.handover button[type=submit]`, chromedp.NodeVisible))
	olga.WaitFor(`!!document.querySelector(".alert")`, "the reason asked for")
	olga.Do(chromedp.Click(`.handover summary`, chromedp.NodeVisible), chromedp.SendKeys("#reason", "Booked twice"), chromedp.Click(`.handover button[type=submit]`, chromedp.NodeVisible))
	olga.WaitFor(`!document.querySelector(".alert") && !!document.querySelector(".checklist")`, "the run page after cancelling")
	require.Eventually(t, func() bool {
		olga.Do(chromedp.Navigate(s.url + "/runs/" + runID))
		return strings.Contains(olga.Text(".meta"), "cancelled")
	}, 20*time.Second, 200*time.Millisecond)
	require.Contains(t, olga.Text(".timeline"), "Booked twice")
	olga.RequireNoCSPViolation()
}

// webSignOff asks carl to approve.
const webSignOff = `key: web-signoff
name: Sign-off
inputs:
  - id: what
    required: true
roles:
  approver: { user: carl }
steps:
  - id: sign
    kind: approval
    title: "Sign off {{ inputs.what }}"
    assignee: approver
`

// TestWebEmailApprove is issue 16's test 5: an approval email links to the task page and
// carries approve and reject links; opening one (as a mail scanner would, or a person)
// shows a confirmation and changes nothing; its button approves once, as the person the
// email was for; the link used again is refused, and the other one finds it decided.
func TestWebEmailApprove(t *testing.T) {
	mail := smtptest.Start(t)
	s := webStack(t, false, func(c *Config) { c.SMTPAddr, c.SMTPFrom = mail.Addr, "flows@example.com" })
	webUsers(s)
	s.do("dana", "POST", "/v1/definitions", webSignOff).must(t, http.StatusCreated)
	run := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "web-signoff",
		"inputs": map[string]any{"what": "the budget " + hostile}}).must(t, http.StatusCreated)
	taskID := run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)

	msg := mail.WaitFor(t, 1, 20*time.Second)[0]
	require.Equal(t, []string{"carl@example.com"}, msg.To)
	body := msg.Text()
	require.Contains(t, body, "Link:  "+s.url+"/tasks/"+taskID)
	links := regexp.MustCompile(`(?m)^(Approve|Reject): +(\S+)$`).FindAllStringSubmatch(body, -1)
	require.Len(t, links, 2, body)
	approve, reject := links[0][2], links[1][2]
	require.True(t, strings.HasPrefix(approve, s.url+"/approve?token="), approve)
	require.NotEqual(t, approve, reject)

	// A scanner fetches both links: nothing is decided.
	for _, l := range []string{approve, reject, approve} {
		res, err := noRedirects.Get(l)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.NotEmpty(t, res.Header.Get("Content-Security-Policy"))
	}
	require.Equal(t, "open", s.do("admin", "GET", "/v1/tasks/"+taskID, nil).must(t, http.StatusOK)["status"])

	tab := testenv.Browser(t) // not signed in: the link is enough
	tab.Do(chromedp.Navigate(approve))
	require.Contains(t, tab.Text("main"), "You are deciding as Carl Checker")
	require.Equal(t, "Sign off the budget "+hostile, tab.Text("main .text strong"))
	require.Zero(t, testenv.Eval[int](tab, `document.querySelectorAll("main script, main img, main [onerror]").length`))
	tab.Axe()
	tab.Screenshot("web-email-approve")
	tab.Do(chromedp.SendKeys("#comment", "OK from my phone"), chromedp.Click(`main form button.primary`, chromedp.NodeVisible))
	tab.WaitFor(`document.body.innerText.includes("Approved. Thank you.")`, "the approval done")
	got := s.do("admin", "GET", "/v1/tasks/"+taskID, nil).must(t, http.StatusOK)
	require.Equal(t, "completed", got["status"])
	require.Equal(t, "approved", got["outcome"])
	require.Equal(t, "carl", got["completed_by"])

	// Used again: refused, by GET and by POST; the reject link finds it decided.
	res := testenv.Value(tab, chromedp.NavigateResponse(approve))
	require.EqualValues(t, http.StatusGone, res.Status)
	require.Contains(t, tab.Text("main"), "used already")
	tab.Axe()
	token := strings.TrimPrefix(approve, s.url+"/approve?token=")
	again, err := noRedirects.PostForm(s.url+"/approve", url.Values{"token": {token}})
	require.NoError(t, err)
	again.Body.Close()
	require.Equal(t, http.StatusGone, again.StatusCode)
	tab.Do(chromedp.Navigate(reject))
	require.Contains(t, tab.Text("main"), "decided already")
	require.Zero(t, testenv.Eval[int](tab, `document.querySelectorAll("main form").length`), "nothing to press")
	unknown, err := noRedirects.Get(s.url + "/approve?token=forged")
	require.NoError(t, err)
	unknown.Body.Close()
	require.Equal(t, http.StatusNotFound, unknown.StatusCode)
	tab.RequireNoCSPViolation()
}

// requireCSP opens url in the tab and requires the strict Content-Security-Policy on
// the answer.
func requireCSP(t *testing.T, tab *testenv.Tab, url string) {
	t.Helper()
	res := testenv.Value(tab, chromedp.NavigateResponse(url))
	require.EqualValues(t, http.StatusOK, res.Status, url)
	csp, _ := res.Headers["Content-Security-Policy"].(string)
	require.Contains(t, csp, "script-src 'self'", url)
	require.NotContains(t, csp, "unsafe-inline", url)
}

// press presses a button (a click in the page: the form is submitted with it as the
// submitter), for buttons a suggestion list or a moving layout could hide from a mouse
// click.
func press(tab *testenv.Tab, css string) {
	js, _ := json.Marshal(css)
	tab.Do(chromedp.Evaluate[chromedp.Void](`document.querySelector(` + string(js) + `).click()`))
}

// webCRM has an http step that falls back to a fix-it task for olga.
const webCRM = `key: web-crm
name: CRM push
summary: "CRM push of {{ inputs.employee }}"
inputs:
  - id: employee
    required: true
roles:
  ops: { user: olga }
steps:
  - id: push
    kind: http
    title: "Push {{ inputs.employee }} to the CRM"
    method: POST
    url: "%s/people"
    body:
      name: "{{ inputs.employee }}"
    retry: {attempts: 1, interval: 1 second}
    on_failure: {fix: ops}
`

// TestWebFixIt: a failed automation's fix-it task in the browser: the run page shows
// the step with its error and the task's choices; the task page offers them as buttons;
// Retry, once the service is back, completes the run.
func TestWebFixIt(t *testing.T) {
	sink := newCRMSink(t)
	s, idp := oidcWebStack(t, func(c *Config) { c.HTTPAllow = sink.Listener.Addr().String() })
	s.do("dana", "POST", "/v1/definitions", fmt.Sprintf(webCRM, sink.URL)).must(t, http.StatusCreated)
	run := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "web-crm",
		"inputs": map[string]any{"employee": "Jane"}}).must(t, http.StatusCreated)
	runID := run["id"].(string)

	olga := signIn(t, s, idp, "olga@example.com")
	olga.WaitFor(`document.querySelectorAll("#inbox-list .task").length === 1`, "the fix-it task in the inbox")
	olga.Do(chromedp.Navigate(s.url + "/runs/" + runID))
	olga.WaitFor(`!!document.querySelector(".checklist .step-open")`, "the run page")
	require.Contains(t, olga.Text(".checklist .step-open"), "Retry, Skip, Edit and retry")
	olga.Axe()
	openFirstTaskOf(olga, s.url)
	require.Contains(t, olga.Text(".desc"), "CRM database unavailable")
	require.Contains(t, olga.Text(".meta"), "Fix-it task")
	require.Equal(t, []string{"Retry", "Skip", "Edit and retry"}, testenv.Eval[[]string](olga, `[...document.querySelectorAll(".task-form .actions button")].map(b => b.textContent)`))
	olga.Axe()
	olga.Screenshot("web-fixit")
	sink.recover()
	press(olga, `button[value="retry"]`)
	olga.WaitFor(`location.pathname === "/"`, "the inbox after retrying")
	require.Eventually(t, func() bool {
		return s.do("admin", "GET", "/v1/runs/"+runID, nil).must(t, http.StatusOK)["status"] == "completed"
	}, 20*time.Second, 100*time.Millisecond)
	olga.Do(chromedp.Navigate(s.url + "/runs/" + runID))
	require.Contains(t, olga.Text(".meta"), "completed")
	require.Contains(t, olga.Text(".checklist .step-done"), "Push")
	olga.RequireNoCSPViolation()
}

// openFirstTaskOf opens the first task of the inbox at base.
func openFirstTaskOf(tab *testenv.Tab, base string) {
	tab.Do(chromedp.Navigate(base + "/"))
	openFirstTask(tab)
}
