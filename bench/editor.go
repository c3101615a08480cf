package bench

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/definitions/examples"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/web"
)

// The owner's editor figures, beside D1: D2 is the validate round trip from the editor
// (the page's POST /definitions/validate with a signed-in designer's session, to the
// rendered error list: ValidateDefinition, and for a valid text its diagram, form
// previews and its diff against the published version) for each shipped example; D3 is the diagram drawn from
// a compiled program (web's Go benchmark), each example and a 500-step definition.

func (b *bencher) measureD2(ctx context.Context) ([]Figure, error) {
	logger := slog.New(slog.NewTextHandler(b.s.logw, &slog.HandlerOptions{Level: slog.LevelWarn}))
	w, err := web.New(web.Config{}, b.s.db, logger)
	if err != nil {
		return nil, fmt.Errorf("D2: web app: %w", err)
	}
	defer w.Close()
	served, base, err := b.s.serveAPI(b.s.db, api.Config{Web: w})
	if err != nil {
		return nil, fmt.Errorf("D2: %w", err)
	}
	defer func() { _ = served.Close() }()
	w.UseAPI(served.api)
	if _, err := b.s.db.UpsertUser(ctx, postgres.User{ID: "bench-designer", Name: "Bench designer", Role: "designer", Groups: []string{}}); err != nil {
		return nil, fmt.Errorf("D2: designer: %w", err)
	}
	client, err := signedIn(ctx, w, base, "bench-designer")
	if err != nil {
		return nil, fmt.Errorf("D2: sign in: %w", err)
	}
	names, err := fs.Glob(examples.FS, "*.yaml") // vendor-onboarding before vendor-risk-review, which starts it
	if err != nil {
		return nil, err
	}
	for _, name := range names { // published, so that each round trip also diffs against its version
		src, err := examples.FS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		if _, _, err := api.Publish(ctx, b.s.db, src, "bench-designer"); err != nil {
			return nil, fmt.Errorf("D2: publish %s: %w", name, err)
		}
	}
	n := 100
	if b.cfg.Short {
		n = 10
	}
	var figs []Figure
	for _, name := range names {
		src, err := examples.FS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		example := strings.TrimSuffix(name, ".yaml")
		var took []time.Duration
		for i := range n + 3 { // three to warm up
			d, err := validateRoundTrip(ctx, client, base, src)
			if err != nil {
				return figs, fmt.Errorf("D2 %s: %w", example, err)
			}
			if i >= 3 {
				took = append(took, d)
			}
		}
		figs = append(figs, Figure{ID: "D2." + example, Name: "editor validate round trip, " + example, Unit: "ms",
			Target: "p50 ≤ 20 ms", A: []float64{median(ms(took))}, check: func(a, _ float64) bool { return a <= 20 },
			Note: fmt.Sprintf("POST /definitions/validate (a session, htmx) to the rendered answer: ValidateDefinition, the diagram, the diff against its published version; %d posts, p90 %.1f ms",
				n, percentile(ms(took), 90))})
	}
	b.logf("D2 editor round trips: %d examples × %d", len(names), n)
	return figs, nil
}

// signedIn is an HTTP client holding a session of the user, from a one-time sign-in
// link as a browser would use it.
func signedIn(ctx context.Context, w *web.Server, base, userID string) (*http.Client, error) {
	link, err := w.SignInLink(ctx, userID)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(link)
	if err != nil {
		return nil, err
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(base+"/signin/link", url.Values{"token": {u.Query().Get("token")}})
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign-in link answered %s", res.Status)
	}
	return c, nil
}

// validateRoundTrip posts src as the editor does and reads the whole answer.
func validateRoundTrip(ctx context.Context, c *http.Client, base string, src []byte) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/definitions/validate",
		strings.NewReader(url.Values{"source": {string(src)}}.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	start := time.Now()
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	took := time.Since(start)
	if err != nil {
		return 0, err
	}
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `id="checks"`) {
		return 0, fmt.Errorf("validate answered %s: %.200s", res.Status, body)
	}
	return took, nil
}

// measureD3 runs web's diagram benchmark (go test -bench BenchmarkDiagram ./web/).
func (b *bencher) measureD3(ctx context.Context) ([]Figure, error) {
	count, benchtime := 5, "1s"
	if b.cfg.Short {
		count, benchtime = 1, "100ms"
	}
	res, err := goBench(ctx, b.cfg.Root, "./web/", "^BenchmarkDiagram$", benchtime, count)
	if err != nil {
		return nil, fmt.Errorf("D3: %w", err)
	}
	var figs []Figure
	for _, name := range slices.Sorted(maps.Keys(res)) {
		sub, ok := strings.CutPrefix(name, "BenchmarkDiagram/")
		if !ok {
			continue
		}
		sub = strings.TrimSuffix(sub, ".yaml")
		f := Figure{ID: "D3." + sub, Name: "diagram of the " + sub + " example", Unit: "ms", Target: "≤ 10 ms",
			A: scale(res[name], 1e-6), check: func(a, _ float64) bool { return a <= 10 }}
		if sub == "500-steps" {
			f = Figure{ID: "D3.500", Name: "diagram of a 500-step definition", Unit: "ms", Target: "report", A: scale(res[name], 1e-6),
				Note: "go test -bench BenchmarkDiagram ./web/: lay out and write the SVG and the flow in words from a compiled program"}
		}
		figs = append(figs, f)
	}
	return figs, nil
}
