package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"
	must "github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// TestLimitInFlight fills every slot with requests that wait, then checks that one more
// is shed at once with a 503 problem and Retry-After, that health checks still answer,
// and that a slot freed is taken again.
func TestLimitInFlight(t *testing.T) {
	t.Parallel()
	const max = 3
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.New(slog.DiscardHandler))
	e.Use(limitInFlight(max))
	entered, release := make(chan struct{}, max), make(chan struct{})
	e.GET("/slow", func(c echo.Context) error {
		entered <- struct{}{}
		<-release
		return c.NoContent(http.StatusNoContent)
	})
	e.GET("/healthz", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)

	get := func(path string) *http.Response {
		res, err := http.Get(srv.URL + path)
		must.NoError(t, err)
		t.Cleanup(func() { _ = res.Body.Close() })
		return res
	}
	var wg sync.WaitGroup
	statuses := make([]int, max)
	for i := range max {
		wg.Go(func() { statuses[i] = get("/slow").StatusCode })
	}
	for range max {
		select {
		case <-entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the first requests never reached the handler")
		}
	}

	shed := get("/slow")
	must.Equal(t, http.StatusServiceUnavailable, shed.StatusCode)
	must.Equal(t, "application/problem+json", shed.Header.Get("Content-Type"))
	must.Equal(t, "1", shed.Header.Get("Retry-After"))
	var p Problem
	must.NoError(t, json.NewDecoder(shed.Body).Decode(&p))
	must.Equal(t, http.StatusServiceUnavailable, p.Status)
	must.Contains(t, p.Detail, "capacity")
	must.Equal(t, http.StatusOK, get("/healthz").StatusCode, "health checks bypass the limit")

	close(release)
	wg.Wait()
	must.Equal(t, []int{http.StatusNoContent, http.StatusNoContent, http.StatusNoContent}, statuses)
	again := get("/slow")
	_, _ = io.Copy(io.Discard, again.Body)
	must.Equal(t, http.StatusNoContent, again.StatusCode, "freed slots are taken again")
}

// TestUnavailableIs503: a backing service that cannot be reached is a 503 with
// Retry-After (the client may retry), anything else stays a 500.
func TestUnavailableIs503(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"postgres refuses connections", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, http.StatusServiceUnavailable},
		{"postgres is shutting down", &pgconn.PgError{Code: "57P01"}, http.StatusServiceUnavailable},
		{"postgres is starting", fmt.Errorf("list runs: %w", &pgconn.PgError{Code: "57P03"}), http.StatusServiceUnavailable},
		{"connection lost mid-query", fmt.Errorf("query: %w", io.ErrUnexpectedEOF), http.StatusServiceUnavailable},
		{"temporal is unavailable", serviceerror.NewUnavailable("frontend down"), http.StatusServiceUnavailable},
		{"an Update not answered in time", fmt.Errorf("complete on run r: %w",
			client.NewWorkflowUpdateServiceTimeoutOrCanceledError(errors.New("rpc error: code = DeadlineExceeded"))), http.StatusServiceUnavailable},
		{"a query to a run whose worker is down", fmt.Errorf("query run r: %w",
			serviceerror.NewFailedPrecondition("no poller seen for task queue recently, worker may be down")), http.StatusServiceUnavailable},
		{"a query Temporal cancelled", fmt.Errorf("query run r: %w", serviceerror.NewCanceled("context canceled")), http.StatusServiceUnavailable},
		{"a query that timed out", fmt.Errorf("query run r: %w", context.DeadlineExceeded), http.StatusServiceUnavailable},
		{"another failed precondition", serviceerror.NewFailedPrecondition("namespace is not active"), http.StatusInternalServerError},
		{"a constraint violation", &pgconn.PgError{Code: "23514"}, http.StatusInternalServerError},
		{"anything else", errors.New("boom"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := echo.New()
			e.HTTPErrorHandler = errorHandler(slog.New(slog.DiscardHandler))
			e.GET("/", func(echo.Context) error { return tt.err })
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			must.Equal(t, tt.want, rec.Code, rec.Body.String())
			must.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
			if tt.want == http.StatusServiceUnavailable {
				must.Equal(t, "1", rec.Header().Get("Retry-After"))
			}
		})
	}
}
