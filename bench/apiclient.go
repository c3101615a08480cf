package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/postgres"
)

// apiClient calls Handoff's HTTP API as the users it holds keys for.
type apiClient struct {
	base string
	http *http.Client
	keys map[string]string // user id → API key
}

func newAPIClient(base string, conns int) *apiClient {
	tr := &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, IdleConnTimeout: time.Minute}
	return &apiClient{base: base, http: &http.Client{Transport: tr, Timeout: time.Minute}, keys: map[string]string{}}
}

// do sends a request as user and decodes a JSON answer into out (when not nil). It
// returns the status; a transport failure is an error, a 4xx or 5xx is not.
func (c *apiClient) do(ctx context.Context, user, method, path string, body, out any) (int, error) {
	return c.doAt(ctx, c.base, user, method, path, body, out)
}

// doAt is do against another API serving the same database.
func (c *apiClient) doAt(ctx context.Context, base, user, method, path string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, r)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.keys[user])
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	if resp.StatusCode >= 300 && out != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(raw))
	}
	return resp.StatusCode, nil
}

// get reads path as user and returns the answer's body, or an error for anything but 200.
func (c *apiClient) get(ctx context.Context, base, user, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.keys[user])
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	buf := bytes.NewBuffer(make([]byte, 0, max(resp.ContentLength, 0)+bytes.MinRead)) // no regrowth at EOF
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, fmt.Errorf("GET %s: read answer: %w", path, err)
	}
	raw := buf.Bytes()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, bytes.TrimSpace(raw))
	}
	return raw, nil
}

// addUsers creates users (with groups from groupOf, which may be nil) and API keys for
// them, and returns a client holding the keys.
func addUsers(ctx context.Context, db *postgres.DB, c *apiClient, ids []string, role string, groupOf func(string) []string) error {
	for _, id := range ids {
		groups := []string{}
		if groupOf != nil {
			groups = groupOf(id)
		}
		if _, err := db.UpsertUser(ctx, postgres.User{ID: id, Name: id, Role: role, Groups: groups}); err != nil {
			return fmt.Errorf("add user %s: %w", id, err)
		}
		key, hash := api.NewKey()
		if _, err := db.CreateAPIKey(ctx, id, key[:7], hash); err != nil {
			return fmt.Errorf("add a key for %s: %w", id, err)
		}
		c.keys[id] = key
	}
	return nil
}

// userIDs is prefix0 … prefix(n-1).
func userIDs(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

// taskJSON is the part of a task resource the benchmarks read.
type taskJSON struct {
	ID     string `json:"id"`
	RunID  string `json:"run_id"`
	StepID string `json:"step_id"`
}

// completeJSON is the answer to POST /v1/tasks/{id}/complete.
type completeJSON struct {
	Run struct {
		Status    string     `json:"status"`
		OpenTasks []taskJSON `json:"open_tasks"`
	} `json:"run"`
}

// inboxJSON is the answer to GET /v1/tasks.
type inboxJSON struct {
	Tasks []taskJSON `json:"tasks"`
}
