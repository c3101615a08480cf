package api

import (
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// logRunIDKey holds the run a request is about, for its log line, when the path does not
// name it (a task's run, a webhook's run, a new run).
const logRunIDKey = "handoff.log.run_id"

func setLogRunID(c echo.Context, id string) { c.Set(logRunIDKey, id) }

// requestIDs are the run and task ids a request is about, as log attributes.
func requestIDs(c echo.Context) []any {
	var attrs []any
	runID, _ := c.Get(logRunIDKey).(string)
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

// metricsHandler serves the registry in the Prometheus exposition format.
func metricsHandler(g prometheus.Gatherer) echo.HandlerFunc {
	return echo.WrapHandler(promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
}
