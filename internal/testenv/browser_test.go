package testenv

import (
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestBrowser: the harness's Chromium loads a page, axe-core finds an image without a
// text alternative, a CSP violation reaches the console, tabs do not share cookies,
// and a screenshot is a PNG.
func TestBrowser(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		if r.URL.Path == "/set" {
			http.SetCookie(w, &http.Cookie{Name: "who", Value: "first", Path: "/"})
		}
		_, _ = w.Write([]byte(`<!doctype html><html lang="en"><title>t</title><main><h1>Hello</h1>
<img src="/pixel.png"><script>document.title = "ran"</script></main>`))
	}))
	defer srv.Close()

	tab := Browser(t)
	tab.Do(chromedp.Navigate(srv.URL + "/set"))
	require.Equal(t, "Hello", tab.Text("h1"))
	require.Equal(t, "t", Value(tab, chromedp.Title()), "the inline script was refused")
	ids := []string{}
	for _, v := range tab.AxeViolations() {
		ids = append(ids, v.ID+"/"+v.Impact)
	}
	require.Contains(t, ids, "image-alt/critical")
	tab.WaitFor(`true`, "a condition that holds")
	require.Eventually(t, func() bool {
		return slices.ContainsFunc(tab.Console(), func(m chromedp.ConsoleMessage) bool {
			return strings.Contains(m.Text, "Content Security Policy")
		})
	}, 10*time.Second, 50*time.Millisecond, "the refused inline script is in the console")
	require.Equal(t, "who=first", Eval[string](tab, "document.cookie"))

	other := Browser(t)
	other.Do(chromedp.Navigate(srv.URL + "/"))
	require.Equal(t, "", Eval[string](other, "document.cookie"), "a new tab has its own cookies")

	png, err := os.ReadFile(tab.Screenshot("testenv-browser"))
	require.NoError(t, err)
	require.Equal(t, "\x89PNG", string(png[:4]))
}
