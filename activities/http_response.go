package activities

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"

	"github.com/handoffhq/handoff/internal/safehttp"
	"github.com/handoffhq/handoff/workflows"
)

const (
	excerptBytes  = 300              // of an error answer's body, in the error message
	maxRetryAfter = 10 * time.Minute // the most a Retry-After header may delay the next attempt
)

// readResponse turns an answer into the step's response, or a classified error.
func (a *Activities) readResponse(resp *http.Response, target string, red *redactor) (workflows.HTTPResponse, error) {
	if resp.StatusCode >= 400 {
		return workflows.HTTPResponse{}, statusError(resp, target, red)
	}
	maxBody := a.HTTPMaxBody
	if maxBody <= 0 {
		maxBody = safehttp.DefaultMaxBodyBytes
	}
	raw, err := safehttp.ReadBody(resp, maxBody)
	if errors.Is(err, safehttp.ErrTooLarge) {
		return workflows.HTTPResponse{}, permanent(ErrTypeHTTPResponse,
			"%s answered %d with a body larger than the cap of %d bytes (HANDOFF_HTTP_MAX_BODY)", target, resp.StatusCode, maxBody)
	}
	if err != nil {
		return workflows.HTTPResponse{}, temporal.NewApplicationError(red.redact(fmt.Sprintf("%s: %v", target, err)), "HTTPTransport")
	}
	out := workflows.HTTPResponse{Status: resp.StatusCode, Headers: make(map[string]string, len(resp.Header))}
	for name, values := range resp.Header {
		out.Headers[strings.ToLower(name)] = red.redact(strings.Join(values, ", "))
	}
	if len(raw) == 0 {
		return out, nil
	}
	if isJSON(resp.Header.Get("Content-Type")) {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return workflows.HTTPResponse{}, permanent(ErrTypeHTTPResponse,
				"%s answered %d with invalid JSON: %v", target, resp.StatusCode, err)
		}
		out.Body = red.redactValue(v)
		return out, nil
	}
	out.Body = red.redact(strings.ToValidUTF8(string(raw), "\uFFFD"))
	return out, nil
}

// statusError classifies an error status: 5xx, 408 and 429 are worth retrying (after
// Retry-After when the integration says so); other 4xx are not.
func statusError(resp *http.Response, target string, red *redactor) error {
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, excerptBytes))
	msg := fmt.Sprintf("%s answered %s", target, resp.Status)
	if excerpt := excerpt(head); excerpt != "" {
		msg += ": " + excerpt
	}
	msg = red.redact(msg)
	code := resp.StatusCode
	retryable := code >= 500 || code == http.StatusRequestTimeout || code == http.StatusTooManyRequests
	return temporal.NewApplicationErrorWithOptions(msg, ErrTypeHTTPStatus, temporal.ApplicationErrorOptions{
		NonRetryable:   !retryable,
		NextRetryDelay: retryAfter(resp.Header.Get("Retry-After"), retryable),
		Details:        []any{code},
	})
}

// excerpt is the start of a body as one line of valid text.
func excerpt(b []byte) string {
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1] // a rune cut at the limit
	}
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(b) == excerptBytes {
		s += "…"
	}
	return s
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); 0 leaves the delay to
// the step's retry policy.
func retryAfter(h string, retryable bool) time.Duration {
	if !retryable || h == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(h); err == nil && n > 0 {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = time.Until(t)
	}
	if d <= 0 {
		return 0
	}
	return min(d, maxRetryAfter)
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// redactor removes the values of this request's secrets from anything that leaves the
// activity: the response, error messages and log lines.
type redactor struct {
	headerNames []string
	values      []string
}

const redacted = "[redacted]"

func (r *redactor) add(header, value string) {
	r.headerNames = append(r.headerNames, header)
	if value == "" {
		return
	}
	r.values = append(r.values, value)
	// The forms a value takes when an integration echoes it back inside JSON or a URL.
	if b, err := json.Marshal(value); err == nil {
		if esc := string(b[1 : len(b)-1]); esc != value {
			r.values = append(r.values, esc)
		}
	}
	if esc := url.QueryEscape(value); esc != value {
		r.values = append(r.values, esc)
	}
}

func (r *redactor) redact(s string) string {
	if r == nil {
		return s
	}
	for _, v := range r.values {
		s = strings.ReplaceAll(s, v, redacted)
	}
	return s
}

// redactValue redacts every string (and object key) inside a decoded JSON value.
func (r *redactor) redactValue(v any) any {
	if r == nil || len(r.values) == 0 {
		return v
	}
	switch v := v.(type) {
	case string:
		return r.redact(v)
	case []any:
		for i := range v {
			v[i] = r.redactValue(v[i])
		}
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[r.redact(k)] = r.redactValue(e)
		}
		return out
	}
	return v
}
