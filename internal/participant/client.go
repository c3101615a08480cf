package participant

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client calls the Handoff API as the directory's users, each with their own API key.
type Client struct {
	BaseURL string
	// Keys maps a user id to that user's API key.
	Keys map[string]string
	// Admin is an admin user's id: who expedites waits and reads audit trails.
	Admin string
	HTTP  *http.Client
}

// Response is an API answer.
type Response struct {
	Status int
	Body   map[string]any
	Raw    string
}

// Error is an API answer the driver did not expect.
type Error struct {
	Method, Path, User string
	Response
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s as %s: %d %s", e.Method, e.Path, e.User, e.Status, strings.TrimSpace(e.Raw))
}

// Do sends a JSON request as user, with headers given as name, value pairs, and decodes
// the answer. A GET answered 503 is sent again a second later, as the API asks ("retry
// after a second"), for up to readRetries seconds: a read of a run's state waits on its
// worker, which a loaded machine can keep busy past Temporal's query deadline.
func (c *Client) Do(ctx context.Context, user, method, path string, body any, headers ...string) (Response, error) {
	for try := 1; ; try++ {
		res, err := c.do(ctx, user, method, path, body, headers...)
		if err != nil || method != http.MethodGet || res.Status != http.StatusServiceUnavailable || try >= readRetries {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, nil
		case <-time.After(time.Second):
		}
	}
}

// readRetries bounds how many times a GET answered 503 is sent.
const readRetries = 30

func (c *Client) do(ctx context.Context, user, method, path string, body any, headers ...string) (Response, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return Response{}, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, r)
	if err != nil {
		return Response{}, err
	}
	key, ok := c.Keys[user]
	if !ok {
		return Response{}, fmt.Errorf("no API key for user %q", user)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	out := Response{Status: res.StatusCode, Raw: string(raw)}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out.Body); err != nil {
			return out, fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
		}
	}
	return out, nil
}

// Expect sends a request and fails unless the answer has the status.
func (c *Client) Expect(ctx context.Context, status int, user, method, path string, body any, headers ...string) (map[string]any, error) {
	res, err := c.Do(ctx, user, method, path, body, headers...)
	if err != nil {
		return nil, err
	}
	if res.Status != status {
		return nil, &Error{Method: method, Path: path, User: user, Response: res}
	}
	return res.Body, nil
}

// decode converts decoded JSON into a typed value.
func decode(v any, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
