package api

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// retryAfterSeconds is what a shed or unavailable answer tells the client to wait.
const retryAfterSeconds = "1"

// limitInFlight sheds load: beyond max requests in progress, a request is answered at
// once with 503 and Retry-After instead of queueing behind work the server cannot
// finish in time. A shed request did nothing, so retrying it is always safe. Health,
// readiness and metrics bypass the limit so that operators can see an overloaded API,
// and so do the web app's event streams (GET with Accept: text/event-stream outside
// /v1), which stay open for as long as a page does and bound their own number.
func limitInFlight(max int) echo.MiddlewareFunc {
	slots := make(chan struct{}, max)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			switch r.URL.Path {
			case "/healthz", "/readyz", "/metrics":
				return next(c)
			}
			if r.Method == http.MethodGet && r.Header.Get(echo.HeaderAccept) == "text/event-stream" && !strings.HasPrefix(r.URL.Path, "/v1/") {
				return next(c)
			}
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
				return next(c)
			default:
				return problem(http.StatusServiceUnavailable, "the server is at capacity; retry after a second")
			}
		}
	}
}

// unavailable reports whether err means a backing service (Postgres, Temporal) cannot
// be reached right now: the request may succeed if retried, so it is a 503, not a 500.
func unavailable(err error) bool {
	var (
		connect  *pgconn.ConnectError
		pgErr    *pgconn.PgError
		netErr   *net.OpError
		unavail  *serviceerror.Unavailable
		waited   *client.WorkflowUpdateServiceTimeoutOrCanceledError
		late     *serviceerror.DeadlineExceeded
		canceled *serviceerror.Canceled
		noWorker *serviceerror.FailedPrecondition
	)
	switch {
	case errors.As(err, &connect), errors.As(err, &netErr), errors.As(err, &unavail),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, pgconn.ErrConnClosed), errors.As(err, &waited),
		errors.As(err, &late), errors.As(err, &canceled),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return true
	case errors.As(err, &noWorker):
		// A query to a run whose workers are all down or restarting.
		return strings.Contains(noWorker.Message, "worker may be down")
	case errors.As(err, &pgErr):
		// Class 08: connection exception; class 57: the server is shutting down or starting.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P")
	}
	return pgconn.Timeout(err) || pgconn.SafeToRetry(err)
}
