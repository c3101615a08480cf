package main

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/internal/devstack"
	"github.com/handoffhq/handoff/internal/testenv"
)

// plantedInput is a run input that only a decoding Temporal Web shows.
const plantedInput = "PLANTED-employee-7731"

// TestTemporalWebDecodes follows docs/encryption.md's Temporal Web steps in a real
// browser (issue 13, item 12): a dev server started as `handoff dev` starts it, with
// --ui-codec-endpoint pointing at Handoff's /codec; the operator starts a codec session
// at /codec/session and turns on, in Temporal Web's codec settings, "use my browser's
// settings" with "include cross-origin credentials". Before that Temporal Web shows the
// run's input encrypted (its codec call carries no credentials: 401); after it, decoded.
func TestTemporalWebDecodes(t *testing.T) {
	uiPort, handoffAddr := freeLoopbackPort(t), net.JoinHostPort("127.0.0.1", strconv.Itoa(freeLoopbackPort(t)))
	codec := "http://" + handoffAddr + "/codec"
	root, err := devstack.RepoRoot()
	require.NoError(t, err)
	cli, err := devstack.EnsureTemporalCLI(context.Background(), root+"/.bin", testLogOutput())
	require.NoError(t, err)
	tmp, err := devstack.StartTemporal(context.Background(), devstack.TemporalOptions{CLIPath: cli,
		UIPort: uiPort, SearchAttributes: devstack.HandoffSearchAttributes, CodecEndpoint: codec})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, tmp.Stop()) })

	s := newStack(t, withEncryption, func(c *Config) {
		c.HTTPAddr, c.PublicURL = handoffAddr, "http://"+handoffAddr
		c.TemporalAddress, c.TemporalNamespace = tmp.HostPort, tmp.Namespace
		c.CodecCORSOrigin = tmp.UIURL // e.g. http://127.0.0.1:PORT: the same host name as Handoff, so the Lax cookie goes
	})
	s.do("dana", "POST", "/v1/definitions", twoTasks).must(t, http.StatusCreated)
	run := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "equipment-request",
		"inputs": map[string]any{"employee": plantedInput}}).must(t, http.StatusCreated)
	page := tmp.UIURL + "/namespaces/" + tmp.Namespace + "/workflows/" + run["id"].(string)

	tab := testenv.Browser(t)
	inputShown := func(decoded bool) {
		t.Helper()
		tab.Do(chromedp.Navigate(page))
		tab.WaitFor(`document.body.innerText.includes("Input")`, "Temporal Web's workflow page")
		if decoded {
			tab.WaitFor(`document.body.innerText.includes("`+plantedInput+`")`, "the decoded input")
			return
		}
		// The payload as stored (its encoding base64: "binary/encrypted") and the UI's word
		// for the codec's 401.
		tab.WaitFor(`document.body.innerText.includes("YmluYXJ5L2VuY3J5cHRlZA==") &&
			document.body.innerText.includes("Codec Server could not connect")`, "the encrypted input")
		require.NotContains(t, tab.Text("body"), plantedInput)
	}
	// The cluster-level codec endpoint alone: Temporal Web calls it without the cookie.
	inputShown(false)

	// 1. The codec session, in the browser used for Temporal Web.
	tab.Do(chromedp.Navigate(codec+"/session"),
		chromedp.SendKeys(chromedp.CSS(`input[name="key"]`), s.keys["admin"]), // the codec is for admins and auditors
		chromedp.Submit(chromedp.CSS(`input[name="key"]`)))
	tab.WaitFor(`document.body.innerText.includes("started")`, "the codec session")
	// Still not decoded: Temporal Web 2.42 takes "include credentials" from the cluster's
	// settings, which the dev server cannot set.
	inputShown(false)

	// 2. Temporal Web's codec settings, as its settings panel stores them: override the
	// cluster's settings with this browser's endpoint and include credentials.
	tab.Do(chromedp.Evaluate[chromedp.Void](`localStorage.setItem("endpoint", JSON.stringify("` + codec + `"));
		localStorage.setItem("includeCredentials", "true");
		localStorage.setItem("passAccessToken", "false");
		localStorage.setItem("overrideRemoteCodecConfiguration", "true")`))
	inputShown(true)
	tab.Screenshot("temporal-web-decoded")
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
