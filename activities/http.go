package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/handoffhq/handoff/internal/safehttp"
	"github.com/handoffhq/handoff/internal/secrets"
	"github.com/handoffhq/handoff/workflows"
)

// Error types of HTTPCall failures (temporal.ApplicationError.Type()).
const (
	ErrTypeHTTPStatus   = "HTTPStatus"   // the integration answered an error status
	ErrTypeHTTPRequest  = "HTTPRequest"  // the request cannot be made as rendered
	ErrTypeHTTPBlocked  = "HTTPBlocked"  // the SSRF guard refused the destination or a redirect
	ErrTypeHTTPResponse = "HTTPResponse" // the answer is over the size cap or not the JSON it claims
	ErrTypeSecret       = "Secret"       // a referenced secret cannot be resolved
)

var httpMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// HTTPCall performs an http step's request through the SSRF-guarded client. Secret
// headers are resolved here and nowhere else; their values are redacted from the
// response, errors and logs. Network errors, 5xx, 408 and 429 are retryable; other 4xx,
// guard refusals and oversize answers are not. Every attempt carries the same
// Idempotency-Key.
func (a *Activities) HTTPCall(ctx context.Context, req workflows.HTTPRequest) (workflows.HTTPResponse, error) {
	if a.HTTP == nil {
		return workflows.HTTPResponse{}, permanent(ErrTypeHTTPRequest, "this worker has no HTTP client configured")
	}
	start := time.Now()
	httpReq, red, err := a.newHTTPRequest(ctx, req)
	if err != nil {
		return workflows.HTTPResponse{}, err
	}
	client := a.stepClient(req, red.headerNames)
	if req.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, req.Timeout)
		defer cancel()
		httpReq = httpReq.WithContext(ctx)
	}
	target := red.redact(httpReq.Method + " " + req.URL)
	resp, err := client.Do(httpReq)
	if err != nil {
		a.logCall(ctx, target, 0, start, err, red)
		return workflows.HTTPResponse{}, transportError(target, client.Timeout, err, red)
	}
	out, err := a.readResponse(resp, target, red)
	a.logCall(ctx, target, resp.StatusCode, start, err, red)
	return out, err
}

// newHTTPRequest builds the request, resolving secret headers.
func (a *Activities) newHTTPRequest(ctx context.Context, req workflows.HTTPRequest) (*http.Request, *redactor, error) {
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodPost
	}
	if !slices.Contains(httpMethods, method) {
		return nil, nil, permanent(ErrTypeHTTPRequest, "method %q is not GET, POST, PUT, PATCH or DELETE", req.Method)
	}
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, permanent(ErrTypeHTTPRequest, "url %q is not an absolute http or https URL", req.URL)
	}
	var body io.Reader
	if req.Body != nil {
		b, err := json.Marshal(req.Body)
		if err != nil {
			return nil, nil, permanent(ErrTypeHTTPRequest, "encode the JSON body: %v", err)
		}
		body = bytes.NewReader(b)
	}
	httpReq, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, nil, permanent(ErrTypeHTTPRequest, "build the request: %v", err)
	}
	h := httpReq.Header
	h.Set("User-Agent", "Handoff")
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	for _, hd := range req.Headers {
		h.Set(hd.Name, hd.Value)
	}
	red := &redactor{}
	for _, hd := range req.SecretHeaders {
		v, err := a.resolveSecret(ctx, hd.Value)
		if err != nil {
			return nil, nil, err
		}
		h.Set(hd.Name, v)
		red.add(hd.Name, v)
	}
	if req.IdempotencyKey != "" {
		h.Set("Idempotency-Key", req.IdempotencyKey)
	}
	return httpReq, red, nil
}

// stepClient is the shared guarded client with this step's timeout, dropping secret
// headers when a redirect leaves the original origin.
func (a *Activities) stepClient(req workflows.HTTPRequest, secretHeaders []string) *http.Client {
	c := *a.HTTP
	if req.Timeout > 0 {
		c.Timeout = req.Timeout
	}
	check := c.CheckRedirect
	c.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if check != nil {
			if err := check(r, via); err != nil {
				return err
			}
		}
		if first := via[0].URL; r.URL.Scheme != first.Scheme || r.URL.Host != first.Host {
			for _, name := range secretHeaders {
				r.Header.Del(name)
			}
		}
		return nil
	}
	return &c
}

func (a *Activities) resolveSecret(ctx context.Context, name string) (string, error) {
	if a.Secrets == nil {
		return "", permanent(ErrTypeSecret, "secret %s: secrets are not configured on this worker", name)
	}
	v, err := a.Secrets.Resolve(ctx, name)
	if err == nil {
		return v, nil
	}
	if secrets.Permanent(err) {
		return "", permanent(ErrTypeSecret, "%v", err)
	}
	return "", fmt.Errorf("resolve a secret header: %w", err)
}

// transportError classifies a failure to get an answer at all.
func transportError(target string, timeout time.Duration, err error, red *redactor) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // it repeats the method and URL
	}
	msg := red.redact(fmt.Sprintf("%s: %v", target, err))
	if ue != nil && ue.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		msg = fmt.Sprintf("%s: no answer within %s", target, timeout)
	}
	switch {
	case errors.Is(err, safehttp.ErrBlocked):
		return permanent(ErrTypeHTTPBlocked, "%s (%s)", msg, safehttp.Hint(err))
	case errors.Is(err, safehttp.ErrRedirect):
		return permanent(ErrTypeHTTPBlocked, "%s", msg)
	}
	return temporal.NewApplicationError(msg, "HTTPTransport")
}

// logCall writes one line per attempt: never a header, never a secret.
func (a *Activities) logCall(ctx context.Context, target string, status int, start time.Time, err error, red *redactor) {
	if a.Logger == nil {
		return
	}
	attrs := []any{"request", target, "status", status, "duration_ms", time.Since(start).Milliseconds()}
	if activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		attrs = append(attrs, "run_id", info.WorkflowExecution.ID, "attempt", info.Attempt)
	}
	if err != nil {
		a.Logger.WarnContext(ctx, "http step call failed", append(attrs, "error", red.redact(err.Error()))...)
		return
	}
	a.Logger.InfoContext(ctx, "http step call", attrs...)
}

func permanent(errType, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), errType, nil)
}
