package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	must "github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/postgres"
)

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{Metrics: prometheus.NewRegistry()})
	must.Equal(t, http.StatusOK, ts.do("", "GET", "/healthz", nil, nil).status)
	ts.do("", "GET", "/v1/definitions", nil, nil).problem(t, http.StatusUnauthorized)

	res := ts.do("", "GET", "/metrics", nil, nil)
	must.Equal(t, http.StatusOK, res.status)
	must.Contains(t, res.raw, `handoff_http_requests_total{method="GET",route="/healthz",status="200"} 1`)
	must.Contains(t, res.raw, `handoff_http_requests_total{method="GET",route="/v1/definitions",status="401"} 1`)
	must.Contains(t, res.raw, `handoff_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"} 1`)

	off := newTestServer(t, Config{})
	off.do("", "GET", "/metrics", nil, nil).problem(t, http.StatusNotFound)
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	e := echo.New()
	ctx := func(route string, names, values []string) echo.Context {
		c := e.NewContext(httptest.NewRequest("GET", "/", nil), httptest.NewRecorder())
		c.SetPath(route)
		c.SetParamNames(names...)
		c.SetParamValues(values...)
		return c
	}
	ids := func(c echo.Context, runID string) []any {
		l := withRequestLog(c)
		if runID != "" {
			logRunID(c.Request().Context(), runID)
		}
		return requestIDs(c, l)
	}
	must.Equal(t, []any{"run_id", "r-1"}, ids(ctx("/v1/runs/:id/cancel", []string{"id"}, []string{"r-1"}), ""))
	task := ctx("/v1/tasks/:id/complete", []string{"id"}, []string{"t-1"})
	must.Equal(t, []any{"task_id", "t-1", "run_id", "r-2"}, ids(task, "r-2"))
	hook := ctx("/v1/hooks/:definition/:trigger", []string{"definition", "trigger"}, []string{"hire", "ats"})
	must.Empty(t, ids(hook, ""))
	must.Equal(t, []any{"run_id", "hire-wh-1"}, ids(hook, "hire-wh-1"))
	logRunID(httptest.NewRequest("GET", "/", nil).Context(), "r-3") // outside a logged request: nothing to note, no panic
}

// TestMetricsFormats: /metrics answers the Prometheus text format by default and
// OpenMetrics when asked, the two content types openapi.yaml declares.
func TestMetricsFormats(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{Metrics: prometheus.NewRegistry()})
	ts.do("", "GET", "/healthz", nil, nil)
	text := ts.do("", "GET", "/metrics", nil, nil)
	must.Equal(t, http.StatusOK, text.status)
	must.True(t, strings.HasPrefix(text.header.Get("Content-Type"), "text/plain; version=0.0.4"), text.header.Get("Content-Type"))
	om := ts.do("", "GET", "/metrics", nil, http.Header{"Accept": {"application/openmetrics-text;version=1.0.0,text/plain;q=0.5"}})
	must.Equal(t, http.StatusOK, om.status)
	must.Contains(t, om.header.Get("Content-Type"), "application/openmetrics-text; version=1.0.0")
	must.True(t, strings.HasSuffix(om.raw, "# EOF\n"), "an OpenMetrics exposition ends with # EOF")
}

// TestCodecOff: without encryption every codec endpoint is a 404, the session page too
// (after authentication where one is needed).
func TestCodecOff(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	ts.do("", "GET", "/codec/session", nil, nil).problem(t, http.StatusNotFound)
	ts.do("", "DELETE", "/codec/session", nil, nil).problem(t, http.StatusNotFound)
	ts.do("", "POST", "/codec/session", nil, nil).problem(t, http.StatusUnauthorized)
	ts.do("dana", "POST", "/codec/session", nil, nil).problem(t, http.StatusForbidden) // the codec is for admins and auditors
	ctx := context.Background()
	_, err := ts.db.CreateUser(ctx, postgres.User{ID: "ada", Name: "Ada", Role: roleAdmin, Groups: []string{}})
	must.NoError(t, err)
	key, hash := NewKey()
	_, err = ts.db.CreateAPIKey(ctx, "ada", key[:7], hash)
	must.NoError(t, err)
	ts.keys["ada"] = key
	ts.do("ada", "POST", "/codec/session", nil, nil).problem(t, http.StatusNotFound)
	ts.do("ada", "POST", "/codec/decode", `{"payloads": []}`, nil).problem(t, http.StatusNotFound)
}
