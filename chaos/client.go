package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"
)

// clientTimeout is how long the driver waits for any answer; an answer that takes
// longer counts as a hang. The API bounds its own waits at 30 s.
const clientTimeout = 45 * time.Second

// apiClient speaks to the API as people and webhook senders do, and tallies every
// answer of the current fault.
type apiClient struct {
	base string
	http *http.Client
	keys map[string]string // user id → API key

	mu    sync.Mutex
	tally map[int]int // status → count; 0 is no answer (transport error)
	hangs int         // no answer within clientTimeout
}

func newAPIClient(base string) *apiClient {
	return &apiClient{base: base, keys: map[string]string{}, tally: map[int]int{},
		http: &http.Client{Timeout: clientTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}}
}

// answer is one HTTP exchange.
type answer struct {
	status int // 0: no answer
	body   map[string]any
	raw    string
	err    error
}

// str reads a string member of the body.
func (a answer) str(name string) string {
	s, _ := a.body[name].(string)
	return s
}

// call sends one request as user ("" sends no key) with a JSON or raw body.
func (c *apiClient) call(ctx context.Context, user, method, path string, body any, headers map[string]string) answer {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return answer{err: err}
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return answer{err: err}
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+c.keys[user])
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.count(0, isTimeout(err) && ctx.Err() == nil)
		return answer{err: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, raw: string(raw), err: err}
	if len(raw) > 0 && raw[0] == '{' {
		_ = json.Unmarshal(raw, &a.body)
	}
	c.count(res.StatusCode, false)
	return a
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func (c *apiClient) count(status int, hung bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tally[status]++
	if hung {
		c.hangs++
	}
}

// takeTally returns the answers counted since the last call and starts afresh.
func (c *apiClient) takeTally() (map[int]int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, h := c.tally, c.hangs
	c.tally, c.hangs = map[int]int{}, 0
	return t, h
}

// retry calls attempt until it reports done, backing off from 100 ms to 2 s, for at
// most limit or until ctx ends. It reports whether attempt finished.
func retry(ctx context.Context, limit time.Duration, attempt func() bool) bool {
	deadline := time.Now().Add(limit)
	wait := 100 * time.Millisecond
	for {
		if attempt() {
			return true
		}
		if time.Now().Add(wait).After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}
