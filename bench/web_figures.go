package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/internal/testenv"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/web"
)

// webForm is the definition whose task page W opens: a form of several field types,
// one shown by visible_when.
const webForm = `key: bench-web
name: Web bench
summary: "Bench {{ inputs.who }}"
inputs:
  - id: who
    required: true
roles:
  me: { user: w-bench }
steps:
  - id: fill
    title: "Fill in for {{ inputs.who }}"
    assignee: me
    form:
      - {id: amount, label: Amount, type: number, required: true, help: In euros.}
      - {id: reason, label: Reason, type: long_text, visible_when: "has(form.amount) && form.amount > 500"}
      - {id: day, label: Day, type: date}
      - {id: kind, label: Kind, type: select, options: [a, b, c]}
      - {id: tags, label: Tags, type: multi_select, options: [x, y]}
      - {id: site, label: Site, type: url}
      - {id: buddy, label: Buddy, type: user}
      - id: lines
        label: Lines
        type: table
        fields: [{id: what, label: What}, {id: cost, label: Cost, type: number}]
`

// servedWeb is the API with the web app mounted, over one database.
type servedWeb struct {
	*servedAPI
	web  *web.Server
	base string
}

func (w *servedWeb) Close() error {
	err := w.servedAPI.Close()
	w.web.Close()
	return err
}

// serveWeb serves the API and the web app over db on a loopback port, as `handoff
// serve` does.
func (b *bencher) serveWeb(db *postgres.DB) (*servedWeb, error) {
	logger := slog.New(slog.NewTextHandler(b.s.logw, &slog.HandlerOptions{Level: slog.LevelWarn}))
	w, err := web.New(web.Config{}, db, logger)
	if err != nil {
		return nil, err
	}
	a, base, err := b.s.serveAPI(db, api.Config{Web: w})
	if err != nil {
		w.Close()
		return nil, err
	}
	w.UseAPI(a.api)
	return &servedWeb{servedAPI: a, web: w, base: base}, nil
}

// measureW is the web app's figures (issue 16): the inbox page's server time against
// GET /v1/tasks for the same users and data at 100k open tasks, the task page's time to
// a usable form in headless Chromium, and the bytes of a first visit of it.
func (b *bencher) measureW(ctx context.Context) ([]Figure, error) {
	var figs []Figure
	if b.wants("W.inbox") {
		f, err := b.measureWInbox(ctx)
		figs = append(figs, f...)
		if err != nil {
			return figs, err
		}
	}
	if b.wants("W.task") {
		f, err := b.measureWTask(ctx)
		figs = append(figs, f...)
		if err != nil {
			return figs, err
		}
	}
	return figs, nil
}

// measureWInbox: A is GET / (the inbox page, HTML, signed in by a session cookie), B is
// GET /v1/tasks?limit=25 (JSON, an API key) from the same server, users and page size,
// one request at a time, alternating.
func (b *bencher) measureWInbox(ctx context.Context) ([]Figure, error) {
	total := 1_000_000
	if b.cfg.Short {
		total = 20_000
	}
	in, err := b.seedInbox(ctx, "handoff_web", total)
	if err != nil {
		return nil, fmt.Errorf("section W: %w", err)
	}
	defer in.close()
	w, err := b.serveWeb(in.db)
	if err != nil {
		return nil, fmt.Errorf("section W: %w", err)
	}
	defer func() { _ = w.Close() }()
	cookies := map[string]string{}
	for _, u := range in.users {
		if cookies[u], err = w.web.Session(ctx, u); err != nil {
			return nil, fmt.Errorf("section W: %w", err)
		}
	}
	client := &http.Client{Timeout: time.Minute}
	page := func(user string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.base+"/", nil)
		if err != nil {
			return err
		}
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: cookies[user]})
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("GET /: %w", err)
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET / as %s: %d %v", user, resp.StatusCode, err)
		}
		if n := bytes.Count(raw, []byte(`data-task=`)); n != 25 {
			return fmt.Errorf("the inbox page of %s lists %d tasks, want a full page of 25", user, n)
		}
		return nil
	}
	json := func(user string) error {
		raw, err := in.client.get(ctx, w.base, user, "/v1/tasks?assignee=me&status=open&limit=25")
		if n := bytes.Count(raw, []byte(`"run_id":`)); err == nil && n != 25 {
			err = fmt.Errorf("GET /v1/tasks of %s has %d tasks, want 25", user, n)
		}
		return err
	}
	d := b.dur(3*time.Second, time.Second)
	f := Figure{ID: "W.inbox.p50", Name: "inbox page (HTML) vs GET /v1/tasks (JSON), p50", Unit: "ms",
		Target: "p50 ratio ≤ 1.5", check: func(_, ratio float64) bool { return ratio <= 1.5 }}
	for rep := -1; rep < b.reps(5); rep++ { // rep -1 warms up, unmeasured
		var a, bb []float64
		for _, side := range []struct {
			get func(string) error
			out *[]float64
		}{{page, &a}, {json, &bb}} {
			lat := newLatencies()
			deadline := time.Now().Add(d)
			for i := 0; time.Now().Before(deadline); i++ {
				user := in.users[i%len(in.users)]
				t0 := time.Now()
				if err := side.get(user); err != nil {
					return nil, fmt.Errorf("section W: %w", err)
				}
				lat.add(time.Since(t0))
			}
			*side.out = lat.done()
		}
		if rep >= 0 {
			f.A, f.B = append(f.A, percentile(a, 50)), append(f.B, percentile(bb, 50))
			b.logf("W inbox page p50 %.2f ms, GET /v1/tasks p50 %.2f ms", percentile(a, 50), percentile(bb, 50))
		}
	}
	f.Note = fmt.Sprintf("%d tasks, %d open; interpreted = GET / (the inbox page: session, the store's ListTasks, html/template), "+
		"baseline = GET /v1/tasks?assignee=me&status=open&limit=25 (API key, the same store query, JSON), both 25 tasks a page from the same server, "+
		"one request at a time on loopback", total, total/10)
	return []Figure{f}, nil
}

// measureWTask opens a real task's page (a run of webForm on the worker) in headless
// Chromium: DOMContentLoaded from navigation start over repeated visits (the assets
// cached, as for a person going from task to task), and the bytes a first visit
// transfers (a fresh browser context: HTML, CSS and JS).
func (b *bencher) measureWTask(ctx context.Context) ([]Figure, error) {
	w, err := b.serveWeb(b.s.db)
	if err != nil {
		return nil, fmt.Errorf("section W: %w", err)
	}
	defer func() { _ = w.Close() }()
	c := newAPIClient(w.base, 4)
	if err := addUsers(ctx, b.s.db, c, []string{"w-bench"}, "admin", nil); err != nil {
		return nil, fmt.Errorf("section W: %w", err)
	}
	admin, err := b.s.db.User(ctx, "w-bench")
	if err != nil {
		return nil, fmt.Errorf("section W: %w", err)
	}
	if _, err := w.api.PublishDefinition(ctx, admin, []byte(webForm)); err != nil {
		return nil, fmt.Errorf("section W: publish: %w", err)
	}
	var run struct {
		OpenTasks []struct {
			ID string `json:"id"`
		} `json:"open_tasks"`
	}
	if st, err := c.do(ctx, "w-bench", "POST", "/v1/runs", map[string]any{"definition": "bench-web",
		"inputs": map[string]any{"who": "Bench"}}, &run); err != nil || st != http.StatusCreated || len(run.OpenTasks) != 1 {
		return nil, fmt.Errorf("section W: start a run: %d %v", st, err)
	}
	cookie, err := w.web.Session(ctx, "w-bench")
	if err != nil {
		return nil, fmt.Errorf("section W: %w", err)
	}
	browser, stop, err := testenv.StartChromium()
	if err != nil {
		return nil, fmt.Errorf("section W: %w", err)
	}
	defer func() { _ = stop() }()
	taskURL := w.base + "/tasks/" + run.OpenTasks[0].ID
	var ttfb []float64
	visit := func(tab context.Context) (dcl, bytes float64, err error) {
		if err = chromedp.Do(tab, chromedp.Navigate(taskURL)); err != nil {
			return 0, 0, err
		}
		m, err := chromedp.Run(tab, chromedp.Poll[struct{ DCL, Bytes, TTFB float64 }](`(() => {
			const n = performance.getEntriesByType("navigation")[0];
			if (!n || !n.domContentLoadedEventEnd || !document.getElementById("f-amount")) return false;
			const r = performance.getEntriesByType("resource").reduce((s, e) => s + e.transferSize, 0);
			return {DCL: n.domContentLoadedEventEnd - n.startTime, Bytes: n.transferSize + r, TTFB: n.responseStart - n.startTime};
		})()`, chromedp.WithPollingTimeout(30*time.Second)))
		ttfb = append(ttfb, m.TTFB)
		return m.DCL, m.Bytes, err
	}
	newTab := func() (context.Context, context.CancelFunc, error) {
		tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		httpOnly := true
		_, err := chromedp.Call(tab, network.SetCookie, network.SetCookieParams{Name: web.SessionCookie, Value: cookie,
			URL: w.base + "/", HTTPOnly: &httpOnly})
		return tab, cancel, err
	}
	dcl := Figure{ID: "W.task.dcl.p50", Name: "task page to a usable form (DOMContentLoaded), p50", Unit: "ms", Target: "p50 ≤ 150 ms",
		check: func(a, _ float64) bool { return a <= 150 }}
	dcl99 := Figure{ID: "W.task.dcl.p99", Name: "task page to a usable form (DOMContentLoaded), p99", Unit: "ms", Target: "report"}
	first := Figure{ID: "W.task.bytes", Name: "task page, first visit: bytes transferred (HTML, CSS, JS)", Unit: "KB", Target: "≤ 100 KB",
		check: func(a, _ float64) bool { return a <= 100 }}
	visits := 100
	if b.cfg.Short {
		visits = 10
	}
	for rep := range b.reps(5) {
		tab, cancel, err := newTab()
		if err != nil {
			cancel()
			return nil, fmt.Errorf("section W: %w", err)
		}
		_, n, err := visit(tab) // a fresh context: nothing cached
		if err != nil {
			cancel()
			return nil, fmt.Errorf("section W: first visit: %w", err)
		}
		var times []float64
		for range visits {
			t, _, err := visit(tab)
			if err != nil {
				cancel()
				return nil, fmt.Errorf("section W: visit: %w", err)
			}
			times = append(times, t)
		}
		cancel()
		first.A = append(first.A, n/1000)
		dcl.A, dcl99.A = append(dcl.A, percentile(times, 50)), append(dcl99.A, percentile(times, 99))
		b.logf("W task page rep %d: first visit %.1f KB; DOMContentLoaded p50 %.1f ms p99 %.1f ms (the server's answer began after p50 %.1f ms)",
			rep, n/1000, percentile(times, 50), percentile(times, 99), percentile(ttfb, 50))
		ttfb = ttfb[:0]
	}
	dcl.Note = fmt.Sprintf("headless Chromium on loopback, %d visits a repetition to an open task's page (a run on the worker; GetTask and "+
		"ResolveTaskForm ask the run); first visit: a fresh browser context, transferSize of the page and its assets as served (no compression)", visits)
	return []Figure{dcl, dcl99, first}, nil
}
