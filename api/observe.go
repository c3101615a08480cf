package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// requestLog collects, for a request's log line, the run it is about when the path does
// not name it (a task's run, a webhook's run, a new run). Operations note it with
// logRunID; it rides in the request's context.
type requestLog struct{ runID string }

type requestLogKey struct{}

// withRequestLog gives the request a requestLog.
func withRequestLog(c echo.Context) *requestLog {
	l := &requestLog{}
	r := c.Request()
	c.SetRequest(r.WithContext(context.WithValue(r.Context(), requestLogKey{}, l)))
	return l
}

// logRunID notes the run a request is about; nothing outside a logged request.
func logRunID(ctx context.Context, id string) {
	if l, ok := ctx.Value(requestLogKey{}).(*requestLog); ok {
		l.runID = id
	}
}

// requestIDs are the run and task ids a request is about, as log attributes.
func requestIDs(c echo.Context, l *requestLog) []any {
	var attrs []any
	runID := l.runID
	switch path := c.Path(); {
	case strings.HasPrefix(path, "/v1/runs/:id"):
		runID = c.Param("id")
	case strings.HasPrefix(path, "/v1/tasks/:id"):
		attrs = append(attrs, "task_id", c.Param("id"))
	}
	if runID != "" {
		attrs = append(attrs, "run_id", runID)
	}
	return attrs
}

// httpMetrics counts requests and their latency by route (the path template, so that ids
// do not explode the series), method and status.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "handoff_http_requests_total",
			Help: "HTTP requests answered by the Handoff API, by route, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "handoff_http_request_duration_seconds",
			Help:    "Latency of the Handoff API, by route, method and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "status"}),
	}
	for _, col := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(col); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe records one answered request.
func (m *httpMetrics) observe(c echo.Context, elapsed time.Duration) {
	route := c.Path()
	if route == "" {
		route = "unmatched"
	}
	labels := prometheus.Labels{"route": route, "method": c.Request().Method, "status": strconv.Itoa(c.Response().Status)}
	m.requests.With(labels).Inc()
	m.duration.With(labels).Observe(elapsed.Seconds())
}

// MetricsHandler serves a registry at GET /metrics, as the API and a worker-only process
// do: the Prometheus text format (text/plain; version=0.0.4), or OpenMetrics
// (application/openmetrics-text; version=1.0.0) when the Accept header asks for it.
func MetricsHandler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{EnableOpenMetrics: true})
}
