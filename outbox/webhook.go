package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/handoffhq/handoff/internal/safehttp"
	"github.com/handoffhq/handoff/internal/webhook"
)

// StatusError is a non-2xx answer to a webhook call.
type StatusError struct {
	Code int
	Body string // the start of the answer, for people to read
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("the endpoint answered %d", e.Code)
	}
	return fmt.Sprintf("the endpoint answered %d: %s", e.Code, e.Body)
}

// Post sends a JSON body to target through client, signed per Standard Webhooks with key
// when key is not nil (webhook-id id, webhook-timestamp now). Any answer but 2xx is a
// *StatusError.
func Post(ctx context.Context, client *http.Client, target string, key []byte, id string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return permanentError{fmt.Errorf("build request to %s: the URL is not valid", redact(target))}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Handoff-Webhooks/1")
	if key != nil {
		now := time.Now()
		req.Header.Set(webhook.HeaderID, id)
		req.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		req.Header.Set(webhook.HeaderSignature, webhook.Sign(key, id, now, body))
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error // it quotes the whole URL, credentials and all
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, safehttp.ErrBlocked) {
			// The guard's verdict does not change by waiting: fail it now, saying how to allow it.
			return permanentError{fmt.Errorf("post to %s: %w (%s)", redact(target), err, safehttp.Hint(err))}
		}
		return fmt.Errorf("post to %s: %w", redact(target), err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode/100 != 2 {
		return &StatusError{Code: resp.StatusCode, Body: strings.TrimSpace(string(snippet))}
	}
	return nil
}

// redact drops the path and query of a URL for errors and logs: incoming-webhook URLs
// (Slack's) carry their credentials there.
func redact(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return "the endpoint"
	}
	host, _, _ := strings.Cut(rest, "/")
	if _, h, ok := strings.Cut(host, "@"); ok {
		host = h
	}
	return scheme + "://" + host
}
