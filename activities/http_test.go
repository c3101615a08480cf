package activities

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/internal/safehttp"
	"github.com/handoffhq/handoff/internal/secrets"
	"github.com/handoffhq/handoff/workflows"
)

// received is what a sink saw of one request.
type received struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// httpSink is a loopback integration recording what reaches it.
type httpSink struct {
	*httptest.Server
	port uint16
	mu   sync.Mutex
	got  []received
}

func newHTTPSink(t *testing.T, addr string, h http.HandlerFunc) *httpSink {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	s := &httpSink{port: uint16(l.Addr().(*net.TCPAddr).Port)}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, received{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		s.mu.Unlock()
		h(w, r)
	}))
	s.Listener = l
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *httpSink) requests() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// syncBuffer collects log output from concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// httpEnv is an activity environment running HTTPCall against loopback sinks.
type httpEnv struct {
	acts *Activities
	env  *testsuite.TestActivityEnvironment
	logs *syncBuffer
}

// newHTTPEnv allowlists 127.0.0.0/8 on the given ports; env maps variables for secrets.
func newHTTPEnv(t *testing.T, ports []uint16, env map[string]string, store secrets.Store, box *secrets.Box) *httpEnv {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var allow []safehttp.Destination
	for _, p := range ports {
		allow = append(allow, safehttp.Destination{Prefix: netip.MustParsePrefix("127.0.0.0/8"), Port: p})
	}
	acts := &Activities{
		Logger: logger,
		HTTP:   safehttp.NewClient(safehttp.Config{Allow: allow, Timeout: 10 * time.Second}),
		Secrets: &secrets.Resolver{
			LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
			Store:     store, Box: box,
		},
	}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(logger))
	e := suite.NewTestActivityEnvironment()
	e.RegisterActivityWithOptions(acts.HTTPCall, activity.RegisterOptions{Name: workflows.ActivityHTTP})
	return &httpEnv{acts: acts, env: e, logs: logs}
}

func (h *httpEnv) call(t *testing.T, req workflows.HTTPRequest) (workflows.HTTPResponse, error) {
	t.Helper()
	v, err := h.env.ExecuteActivity(workflows.ActivityHTTP, req)
	if err != nil {
		return workflows.HTTPResponse{}, err
	}
	var res workflows.HTTPResponse
	require.NoError(t, v.Get(&res))
	return res, nil
}

func appError(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "want an application error, got %T: %v", err, err)
	return ae
}

func TestHTTPCallSuccess(t *testing.T) {
	t.Parallel()
	sink := newHTTPSink(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/text" {
			_, _ = w.Write([]byte("plain answer"))
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Request-ID", "rq-1")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"po_number":"PO-7","lines":[1,2]}`))
	})
	h := newHTTPEnv(t, []uint16{sink.port}, nil, nil, nil)
	req := workflows.HTTPRequest{RunID: "r-1", StepID: "raise", Method: "POST", URL: sink.URL + "/po",
		Headers: []definitions.Header{{Name: "X-Team", Value: "ops"}},
		Body:    map[string]any{"item": "desk", "amount": 120.5}, IdempotencyKey: "r-1/raise/0"}

	res, err := h.call(t, req)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.Status)
	require.Equal(t, map[string]any{"po_number": "PO-7", "lines": []any{1.0, 2.0}}, res.Body)
	require.Equal(t, "rq-1", res.Headers["x-request-id"], "header names are lower-case")
	for name := range res.Headers {
		require.Equal(t, strings.ToLower(name), name)
	}

	got := sink.requests()
	require.Len(t, got, 1)
	require.Equal(t, "POST", got[0].Method)
	require.Equal(t, "/po", got[0].Path)
	require.Equal(t, "application/json", got[0].Header.Get("Content-Type"))
	require.Equal(t, "ops", got[0].Header.Get("X-Team"))
	require.JSONEq(t, `{"item":"desk","amount":120.5}`, string(got[0].Body))

	req.URL, req.Method, req.Body = sink.URL+"/text", "GET", nil
	res, err = h.call(t, req)
	require.NoError(t, err)
	require.Equal(t, "plain answer", res.Body)
	require.Empty(t, sink.requests()[1].Body)
}

func TestHTTPCallIdempotencyKeyStable(t *testing.T) {
	t.Parallel()
	var n int
	var mu sync.Mutex
	sink := newHTTPSink(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if n++; n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	h := newHTTPEnv(t, []uint16{sink.port}, nil, nil, nil)
	req := workflows.HTTPRequest{Method: "POST", URL: sink.URL, Body: map[string]any{"a": 1},
		Headers: []definitions.Header{{Name: "Idempotency-Key", Value: "from-the-definition"}}, IdempotencyKey: "run-9/step/0"}
	_, err := h.call(t, req)
	require.False(t, appError(t, err).NonRetryable(), "the first attempt fails with 503")
	_, err = h.call(t, req)
	require.NoError(t, err, "the second attempt succeeds")

	got := sink.requests()
	require.Len(t, got, 2)
	for _, r := range got {
		require.Equal(t, []string{"run-9/step/0"}, r.Header.Values("Idempotency-Key"))
	}
}

func TestHTTPCallClassifiesFailures(t *testing.T) {
	t.Parallel()
	sink := newHTTPSink(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/500":
			http.Error(w, "database is down, try later", http.StatusInternalServerError)
		case "/404":
			http.Error(w, "no such order", http.StatusNotFound)
		case "/400":
			http.Error(w, "amount must be positive", http.StatusBadRequest)
		case "/408":
			w.WriteHeader(http.StatusRequestTimeout)
		case "/429":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/big":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(bytes.Repeat([]byte(" "), 5<<20))
		case "/badjson":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"oops"`))
		case "/slow":
			<-r.Context().Done() // holds the request until the client gives up
		}
	})
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedPort := uint16(closed.Addr().(*net.TCPAddr).Port)
	require.NoError(t, closed.Close())
	h := newHTTPEnv(t, []uint16{sink.port, closedPort}, nil, nil, nil)

	tests := []struct {
		name      string
		req       workflows.HTTPRequest
		retryable bool
		errType   string
		contains  []string
		delay     time.Duration
	}{
		{"500", workflows.HTTPRequest{URL: sink.URL + "/500"}, true, ErrTypeHTTPStatus, []string{"POST " + sink.URL + "/500 answered 500", "database is down"}, 0},
		{"404", workflows.HTTPRequest{URL: sink.URL + "/404"}, false, ErrTypeHTTPStatus, []string{"404", "no such order"}, 0},
		{"400", workflows.HTTPRequest{URL: sink.URL + "/400"}, false, ErrTypeHTTPStatus, []string{"400", "amount must be positive"}, 0},
		{"408", workflows.HTTPRequest{URL: sink.URL + "/408"}, true, ErrTypeHTTPStatus, []string{"408"}, 0},
		{"429", workflows.HTTPRequest{URL: sink.URL + "/429"}, true, ErrTypeHTTPStatus, []string{"429"}, 7 * time.Second},
		{"oversize", workflows.HTTPRequest{URL: sink.URL + "/big"}, false, ErrTypeHTTPResponse, []string{"cap of 1048576 bytes"}, 0},
		{"invalid JSON", workflows.HTTPRequest{URL: sink.URL + "/badjson"}, false, ErrTypeHTTPResponse, []string{"invalid JSON"}, 0},
		{"timeout", workflows.HTTPRequest{URL: sink.URL + "/slow", Timeout: 200 * time.Millisecond}, true, "HTTPTransport", []string{"no answer within 200ms"}, 0},
		{"connection refused", workflows.HTTPRequest{URL: "http://127.0.0.1:" + itoa(closedPort) + "/"}, true, "HTTPTransport", []string{"refused"}, 0},
		{"private address", workflows.HTTPRequest{URL: "http://10.0.0.1/"}, false, ErrTypeHTTPBlocked, []string{"SSRF", "adding 10.0.0.1 to HANDOFF_HTTP_ALLOW"}, 0},
		{"metadata address", workflows.HTTPRequest{URL: "http://169.254.169.254/"}, false, ErrTypeHTTPBlocked, nil, 0},
		{"disallowed port", workflows.HTTPRequest{URL: "http://127.0.0.1:1/"}, false, ErrTypeHTTPBlocked, []string{"port"}, 0},
		{"not http", workflows.HTTPRequest{URL: "file:///etc/passwd"}, false, ErrTypeHTTPRequest, nil, 0},
		{"bad method", workflows.HTTPRequest{Method: "TRACE", URL: sink.URL}, false, ErrTypeHTTPRequest, nil, 0},
		{"unknown secret", workflows.HTTPRequest{URL: sink.URL, SecretHeaders: []definitions.Header{{Name: "X-Key", Value: "NOPE"}}},
			false, ErrTypeSecret, []string{"NOPE", "HANDOFF_SECRET_NOPE"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.call(t, tc.req)
			require.Error(t, err)
			t.Log(err)
			ae := appError(t, err)
			require.Equal(t, tc.retryable, !ae.NonRetryable(), "%v", err)
			require.Equal(t, tc.errType, ae.Type(), "%v", err)
			for _, s := range tc.contains {
				require.Contains(t, err.Error(), s)
			}
			require.Equal(t, tc.delay, ae.NextRetryDelay())
		})
	}
	for _, r := range sink.requests() {
		require.NotEqual(t, "/", r.Path, "the unknown-secret request never left")
	}
}

func itoa(p uint16) string { return (&net.TCPAddr{Port: int(p)}).String()[1:] }
