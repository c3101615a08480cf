package main

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/oauth2-proxy/mockoidc"
	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/internal/testenv"
	"github.com/handoffhq/handoff/postgres"
)

// webLaptopOrder gives olga a task due in 3 hours.
const webLaptopOrder = `key: laptop-order
name: Laptop order
summary: "Laptop for {{ inputs.employee }}"
inputs:
  - id: employee
    type: text
    required: true
roles:
  buyer: { user: olga }
steps:
  - id: pick
    kind: task
    title: "Pick a laptop for {{ inputs.employee }}"
    assignee: buyer
    due: 3 hours
    form:
      - id: model
        type: text
        required: true
`

// webITTicket offers a task to the it group.
const webITTicket = `key: it-ticket
name: IT ticket
inputs:
  - id: employee
    type: text
    required: true
roles:
  it: { group: it }
steps:
  - id: image
    kind: task
    title: "Install the laptop of {{ inputs.employee }}"
    assignee: it
`

// hostile is user-provided text that must render as text.
const hostile = `<script>alert(1)</script> "><img src=x onerror=alert(2)> javascript:alert(3) שלום 🎉`

// webStack is a stack on a port known before it starts, so that its public URL (and
// the OIDC redirect URL) name it.
func webStack(t *testing.T, dev bool, opts ...func(*Config)) *stack {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	opts = append([]func(*Config){func(c *Config) { c.HTTPAddr, c.PublicURL = addr, "http://"+addr }}, opts...)
	s := startStack(t, dev, opts...)
	s.addUser(postgres.User{ID: "olga", Name: "Olga Ortiz", Email: "Olga@Example.com", Role: "member", Groups: []string{"it"}})
	return s
}

// startLaptopOrder starts a run for employee and returns its id and first task's id.
func startLaptopOrder(t *testing.T, s *stack, employee string) (string, string) {
	t.Helper()
	run := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "laptop-order",
		"inputs": map[string]any{"employee": employee}}).must(t, http.StatusCreated)
	return run["id"].(string), run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
}

// TestWebSignInAndInbox is issue 16's test 1 and the foundation's checks: a person signs
// in through a real OIDC provider (mockoidc: authorization code, PKCE, state, nonce) and
// lands on their inbox, which lists their tasks and their group's in order, in words,
// escapes hostile text, sends its CSP on every page, passes axe-core, and updates by
// itself when a task arrives or leaves. Sessions are not API keys and the reverse.
func TestWebSignInAndInbox(t *testing.T) {
	idp, err := mockoidc.Run()
	require.NoError(t, err)
	t.Cleanup(func() { _ = idp.Shutdown() })
	idp.QueueUser(&mockoidc.MockUser{Subject: "zed-1", Email: "zed@example.com", EmailVerified: true})
	idp.QueueUser(&mockoidc.MockUser{Subject: "olga-1", Email: "olga@example.com", EmailVerified: false})
	idp.QueueUser(&mockoidc.MockUser{Subject: "olga-1", Email: "olga@example.com", EmailVerified: true})
	s := webStack(t, false, func(c *Config) {
		c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret = idp.Issuer(), idp.ClientID, idp.ClientSecret
	})
	s.do("dana", "POST", "/v1/definitions", webLaptopOrder).must(t, http.StatusCreated)
	s.do("dana", "POST", "/v1/definitions", webITTicket).must(t, http.StatusCreated)
	_, first := startLaptopOrder(t, s, "Jane Doe")
	s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "it-ticket",
		"inputs": map[string]any{"employee": "Jane Doe"}}).must(t, http.StatusCreated)
	// A task two days overdue, written to the inbox projection as the worker writes it,
	// with a hostile title.
	due := time.Now().Add(-49 * time.Hour)
	require.NoError(t, s.main.DB.OpenTask(context.Background(), postgres.Task{ID: "hostile-1", RunID: "laptop-order-x",
		StepID: "pick", Definition: "laptop-order", Title: hostile, Assignees: []string{"olga"}, DueAt: &due}))

	tab := testenv.Browser(t)
	// Not signed in: the inbox sends to the sign-in page, which has its CSP.
	res := testenv.Value(tab, chromedp.NavigateResponse(s.url+"/"))
	require.Equal(t, "/signin", pathOf(t, testenv.Value(tab, chromedp.Location())))
	require.Equal(t, contentSecurityPolicy(t, s, "/signin"), res.Headers["Content-Security-Policy"])
	tab.Axe()
	tab.Screenshot("web-signin")

	// Someone the directory does not know, then an unverified email: refused, in words.
	tab.Do(chromedp.Click(chromedp.CSS("a.button.primary"), chromedp.NodeVisible))
	tab.WaitFor(`document.body.innerText.includes("You signed in as zed@example.com, but nobody in Handoff's directory goes by that email.")`, "the unknown person refused")
	tab.Axe()
	tab.Screenshot("web-signin-refused")
	require.Nil(t, tab.Cookie("handoff_session"))
	tab.Do(chromedp.Navigate(s.url+"/signin"), chromedp.Click(chromedp.CSS("a.button.primary"), chromedp.NodeVisible))
	tab.WaitFor(`document.body.innerText.includes("has not verified the email")`, "the unverified email refused")
	require.Nil(t, tab.Cookie("handoff_session"))
	// A callback this browser did not start (a forged or replayed state) signs nobody in.
	forged, err := noRedirects.Get(s.url + "/signin/callback?state=forged&code=x")
	require.NoError(t, err)
	forged.Body.Close()
	require.Equal(t, http.StatusBadRequest, forged.StatusCode)

	tab.Do(chromedp.Navigate(s.url+"/signin"), chromedp.Click(chromedp.CSS("a.button.primary"), chromedp.NodeVisible))
	tab.WaitFor(`location.pathname === "/" && !!document.querySelector("#inbox-list")`, "the inbox after signing in")
	require.Equal(t, "Inbox", tab.Text("h1"))
	require.Equal(t, "Olga Ortiz", tab.Text(".who"))

	// Overdue first, then by due date, then the group's task without one.
	titles := testenv.Eval[[]string](tab, `[...document.querySelectorAll("#inbox-list .task .title")].map(e => e.textContent)`)
	require.Equal(t, []string{hostile, "Pick a laptop for Jane Doe", "Install the laptop of Jane Doe"}, titles)
	dues := testenv.Eval[[]string](tab, `[...document.querySelectorAll("#inbox-list .task .due")].map(e => e.textContent.trim())`)
	require.Equal(t, []string{"2 days overdue", "due in 3 h", "no due date"}, dues)
	require.Contains(t, tab.Text(`#inbox-list li:nth-child(3) .meta`), "for the it group")
	require.Zero(t, testenv.Eval[int](tab, `document.querySelectorAll("main script, main img, main [onerror]").length`),
		"hostile text stays text")
	require.True(t, testenv.Eval[bool](tab, `document.querySelector("#inbox-list li.task").classList.contains("overdue")`))
	tab.Axe()
	tab.Screenshot("web-inbox")

	// The session cookie: HttpOnly, SameSite=Lax, and it is no API key.
	ck := tab.Cookie("handoff_session")
	require.NotNil(t, ck)
	require.True(t, ck.HTTPOnly)
	require.EqualValues(t, "Lax", ck.SameSite)
	sessionGet := func(path, cookie string) *http.Response {
		req, err := http.NewRequest("GET", s.url+path, nil)
		require.NoError(t, err)
		req.AddCookie(&http.Cookie{Name: "handoff_session", Value: cookie})
		res, err := noRedirects.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}
	require.Equal(t, http.StatusOK, sessionGet("/", ck.Value).StatusCode)
	require.Equal(t, http.StatusUnauthorized, sessionGet("/v1/tasks", ck.Value).StatusCode, "a session is not accepted by the API")
	require.Equal(t, http.StatusSeeOther, sessionGet("/", s.keys["olga"]).StatusCode, "an API key in the cookie signs nobody in")

	// Live: a task that arrives appears, one that is completed leaves, without a reload.
	tab.WaitFor(`document.body.dataset.live === "open"`, "the live stream to open")
	tab.Do(chromedp.Evaluate[chromedp.Void](`window.sameDocument = true`))
	startLaptopOrder(t, s, "Omar Haddad")
	tab.WaitFor(`[...document.querySelectorAll("#inbox-list .title")].some(e => e.textContent === "Pick a laptop for Omar Haddad")`,
		"the new task to appear")
	s.do("olga", "POST", "/v1/tasks/"+first+"/complete", map[string]any{"data": map[string]any{"model": "X1"}}).must(t, http.StatusOK)
	tab.WaitFor(`![...document.querySelectorAll("#inbox-list .title")].some(e => e.textContent === "Pick a laptop for Jane Doe")`,
		"the completed task to leave")
	require.True(t, testenv.Eval[bool](tab, `window.sameDocument === true`), "the page was not reloaded")

	// Filters and search, through the form (htmx) and as a plain URL.
	tab.Do(chromedp.SendKeys(chromedp.ID("q"), "omar"))
	tab.WaitFor(`document.querySelectorAll("#inbox-list .task").length === 1 && location.search.includes("q=omar")`, "the search to apply")
	require.Equal(t, "Pick a laptop for Omar Haddad", tab.Text("#inbox-list .title"))
	tab.Do(chromedp.Navigate(s.url + "/?overdue=true"))
	require.Equal(t, []string{hostile}, testenv.Eval[[]string](tab, `[...document.querySelectorAll("#inbox-list .title")].map(e => e.textContent)`))
	tab.Do(chromedp.Navigate(s.url + "/?status=completed"))
	require.Equal(t, []string{"Pick a laptop for Jane Doe"}, testenv.Eval[[]string](tab, `[...document.querySelectorAll("#inbox-list .title")].map(e => e.textContent)`))
	res = testenv.Value(tab, chromedp.NavigateResponse(s.url+"/?status=bogus"))
	require.EqualValues(t, http.StatusBadRequest, res.Status)
	require.NotEmpty(t, res.Headers["Content-Security-Policy"], "the error page has the CSP too")
	tab.Axe()
	// Paths no route has: an HTML page with the CSP for a browser, problem+json under
	// the API's prefix and for clients that do not ask for HTML.
	req404, err := http.NewRequest("GET", s.url+"/no-such-page", nil)
	require.NoError(t, err)
	req404.Header.Set("Accept", "text/html,application/xhtml+xml")
	nope, err := noRedirects.Do(req404)
	require.NoError(t, err)
	nope.Body.Close()
	require.Equal(t, http.StatusNotFound, nope.StatusCode)
	require.Contains(t, nope.Header.Get("Content-Type"), "text/html")
	require.NotEmpty(t, nope.Header.Get("Content-Security-Policy"))
	s.do("olga", "GET", "/no-such-page", nil).problem(t, http.StatusNotFound)
	s.do("olga", "GET", "/v1/no-such-resource", nil).problem(t, http.StatusNotFound)

	// On a 375 px phone.
	tab.Do(chromedp.EmulateViewport(375, 812), chromedp.Navigate(s.url+"/"))
	tab.WaitFor(`document.querySelectorAll("#inbox-list .task").length === 3`, "the inbox on a phone")
	require.LessOrEqual(t, testenv.Eval[int](tab, `document.documentElement.scrollWidth`), 375, "no sideways scrolling")
	tab.Screenshot("web-inbox-phone")

	// Cross-origin protection on state-changing requests; sign-out ends the session.
	for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "http://evil.example"}} {
		req, err := http.NewRequest("POST", s.url+"/signout", nil)
		require.NoError(t, err)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		req.AddCookie(&http.Cookie{Name: "handoff_session", Value: ck.Value})
		res, err := noRedirects.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusForbidden, res.StatusCode, "%v", h)
	}
	require.Equal(t, http.StatusOK, sessionGet("/", ck.Value).StatusCode, "the refused sign-out did nothing")
	req, err := http.NewRequest("POST", s.url+"/signin/dev", strings.NewReader("user=admin"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	dev, err := noRedirects.Do(req)
	require.NoError(t, err)
	dev.Body.Close()
	require.Equal(t, http.StatusNotFound, dev.StatusCode, "no dev sign-in outside handoff dev")

	tab.Do(chromedp.Click(chromedp.CSS(".signout button"), chromedp.NodeVisible))
	tab.WaitFor(`location.pathname === "/signin"`, "the sign-in page after signing out")
	require.Contains(t, tab.Text(".note"), "You have signed out")
	require.Equal(t, http.StatusSeeOther, sessionGet("/", ck.Value).StatusCode, "the old session is over")
	tab.RequireNoCSPViolation()
}

// TestWebDevSignIn: `handoff dev`'s one-time link signs the dev admin in once (opening
// it changes nothing; its button does), and "sign in as" offers the directory. Neither
// exists outside dev (TestWebSignInAndInbox).
func TestWebDevSignIn(t *testing.T) {
	s := webStack(t, true)
	link, err := s.main.web.SignInLink(context.Background(), "admin")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(link, s.url+"/signin/link?token="), link)

	tab := testenv.Browser(t)
	tab.Do(chromedp.Navigate(link))
	require.Contains(t, tab.Text("main form button"), "Continue as Ada Admin")
	tab.Do(chromedp.Navigate(link)) // opening it again: still good
	tab.Axe()
	tab.Do(chromedp.Click(chromedp.CSS("main form button"), chromedp.NodeVisible))
	tab.WaitFor(`location.pathname === "/" && !!document.querySelector("#inbox-list")`, "the inbox after the link")
	require.Equal(t, "Ada Admin", tab.Text(".who"))
	res := testenv.Value(tab, chromedp.NavigateResponse(link))
	require.EqualValues(t, http.StatusGone, res.Status, "a used link")

	other := testenv.Browser(t)
	other.Do(chromedp.Navigate(s.url + "/signin"))
	require.Contains(t, other.Text(".dev h2"), "sign in as")
	other.Axe()
	other.Screenshot("web-dev-signin")
	other.Do(chromedp.Click(chromedp.CSS(`.users form:has(input[value="bob"]) button`), chromedp.NodeVisible))
	other.WaitFor(`location.pathname === "/" && !!document.querySelector("#inbox-list")`, "the inbox as bob")
	require.Equal(t, "Bob", other.Text(".who"))
	other.RequireNoCSPViolation()
	tab.RequireNoCSPViolation()
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// contentSecurityPolicy is the CSP header of a page, read without a browser.
func contentSecurityPolicy(t *testing.T, s *stack, path string) string {
	t.Helper()
	res, err := noRedirects.Get(s.url + path)
	require.NoError(t, err)
	res.Body.Close()
	csp := res.Header.Get("Content-Security-Policy")
	require.Contains(t, csp, "script-src 'self'")
	require.NotContains(t, csp, "unsafe-inline")
	return csp
}

func pathOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Path
}
