package testenv

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/handoffhq/handoff/internal/devstack"
)

// The browser tests run Debian's Chromium, one per test binary, started on first use
// with a fresh profile and the flags that keep it off the network; each Tab is a new
// browser context (its own cookies). Nothing downloads a browser.

// axeSource is axe-core (testdata/VENDORED says which version), injected into pages.
//
//go:embed testdata/axe.min.js
var axeSource string

// chromiumInstallHint is what a machine without Chromium needs.
const chromiumInstallHint = "chromium is not installed: the browser tests need Debian's Chromium " +
	"(as root: apt-get install -y chromium; .ci/run does it)"

var (
	browserMu   sync.Mutex
	browserCtx  context.Context
	browserStop context.CancelFunc
	browserDir  string
	browserErr  error
)

// chromiumPath finds the Chromium binary: HANDOFF_CHROMIUM, or chromium on PATH.
func chromiumPath() (string, error) {
	if p := os.Getenv("HANDOFF_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New(chromiumInstallHint)
}

func startBrowser() (context.Context, error) {
	path, err := chromiumPath()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "handoff-testenv-chromium-")
	if err != nil {
		return nil, fmt.Errorf("start chromium: %w", err)
	}
	browserDir = dir
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	browserStop = func() { cancel(); cancelAlloc() }
	// The browser lives as long as the context its first action ran in: ctx itself.
	if err := chromedp.Do(ctx); err != nil {
		browserStop()
		return nil, fmt.Errorf("start chromium %s: %w", path, err)
	}
	return ctx, nil
}

func stopBrowser() error {
	if browserStop != nil {
		browserStop()
		browserStop, browserCtx = nil, nil
	}
	if browserDir != "" {
		err := os.RemoveAll(browserDir)
		browserDir = ""
		return err
	}
	return nil
}

// Tab is a page in its own browser context of the package's Chromium. Its actions fail
// the test; the console is collected so that a test can require no CSP violation.
type Tab struct {
	t   testing.TB
	ctx context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// Browser returns a new tab of the package's Chromium, starting it on first use. With
// no Chromium on the machine the test fails with the install hint: browser tests skip
// nothing.
func Browser(t testing.TB) *Tab {
	t.Helper()
	requireRun(t)
	browserMu.Lock()
	if browserCtx == nil && browserErr == nil {
		browserCtx, browserErr = startBrowser()
	}
	parent, err := browserCtx, browserErr
	browserMu.Unlock()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tab := &Tab{t: t, ctx: ctx}
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		t.Fatalf("testenv: open a tab: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			tab.mu.Lock()
			tab.console = append(tab.console, m)
			tab.mu.Unlock()
		}
	}()
	return tab
}

// Context is the tab's chromedp context, for actions Do and Run do not cover.
func (b *Tab) Context() context.Context { return b.ctx }

// Do runs actions in the tab, within 30 s, and fails the test on an error.
func (b *Tab) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// Value runs one action that returns a value, within 30 s.
func Value[T any](b *Tab, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// Text is the text of the first element the CSS selector matches, once it is visible.
func (b *Tab) Text(css string) string {
	b.t.Helper()
	return Value(b, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
}

// Eval evaluates a JavaScript expression and decodes its value.
func Eval[T any](b *Tab, js string) T {
	b.t.Helper()
	return Value(b, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// WaitFor polls a JavaScript condition, on a loaded page, until it is true or 20 s pass. It survives
// navigations (an evaluation that a new page interrupts is tried again).
func (b *Tab) WaitFor(js, what string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		// Only once the page has loaded: after a click that navigates, the new path is in
		// location while the document is still arriving, and a check of its content would
		// read half a page.
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && (`+js+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("browser: timed out waiting until %s (%s); last error: %v; at %s", what, js, last, Value(b, chromedp.Location()))
}

// Cookie is the browser's cookie of that name for the current page, HttpOnly ones
// included; nil when there is none.
func (b *Tab) Cookie(name string) *network.Cookie {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		b.t.Fatalf("browser: read cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// AxeViolation is one failed axe-core rule.
type AxeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// AxeViolations runs axe-core (every rule) on the page and returns what it found.
func (b *Tab) AxeViolations() []AxeViolation {
	b.t.Helper()
	b.Do(chromedp.Evaluate[chromedp.Void](axeSource))
	return Eval[[]AxeViolation](b, `axe.run(document).then(r => r.violations.map(v => ({
		id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.map(n => n.target.join(" "))})))`)
}

// Axe runs axe-core on the page and fails the test on a serious or critical violation;
// it returns every violation found.
func (b *Tab) Axe() []AxeViolation {
	b.t.Helper()
	got := b.AxeViolations()
	var bad []string
	for _, v := range got {
		line := fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, ", "))
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, line)
		} else {
			b.t.Logf("axe-core, not failing: %s", line)
		}
	}
	if len(bad) > 0 {
		b.t.Fatalf("axe-core on %s:\n  %s", Value(b, chromedp.Location()), strings.Join(bad, "\n  "))
	}
	return got
}

// Console is what the page wrote to its console so far, including the browser's own
// entries such as Content-Security-Policy violations.
func (b *Tab) Console() []chromedp.ConsoleMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), b.console...)
}

// RequireNoCSPViolation fails the test if the browser refused anything under the
// Content-Security-Policy.
func (b *Tab) RequireNoCSPViolation() {
	b.t.Helper()
	for _, m := range b.Console() {
		if strings.Contains(m.Text, "Content Security Policy") {
			b.t.Fatalf("CSP violation at %s:%d: %s", m.URL, m.Line+1, m.Text)
		}
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot saves the whole page as <repo>/.artifacts/screenshots/<name>.png (a
// git-ignored folder CI keeps) and returns the path.
func (b *Tab) Screenshot(name string) string {
	b.t.Helper()
	png := Value(b, chromedp.FullScreenshot(100))
	dir := ArtifactsDir(b.t, "screenshots")
	path := filepath.Join(dir, unsafeName.ReplaceAllString(name, "-")+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("save screenshot: %v", err)
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

// ArtifactsDir is <repo>/.artifacts/<kind>, created when missing.
func ArtifactsDir(t testing.TB, kind string) string {
	t.Helper()
	root, err := devstack.RepoRoot()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	dir := filepath.Join(root, ".artifacts", kind)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return dir
}

// StartChromium starts the headless Chromium the browser tests use (the same flags and
// a fresh profile) for a program that is not a test (the benchmarks); stop ends it.
// Tabs are chromedp contexts under ctx.
func StartChromium() (ctx context.Context, stop func() error, err error) {
	browserMu.Lock()
	defer browserMu.Unlock()
	if ctx, err = startBrowser(); err != nil {
		return nil, nil, err
	}
	return ctx, func() error {
		browserMu.Lock()
		defer browserMu.Unlock()
		return stopBrowser()
	}, nil
}
