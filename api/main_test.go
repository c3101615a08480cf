package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	// testify's require is "must" here: the package has its own require (a middleware).
	must "github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/internal/secrets"
	"github.com/handoffhq/handoff/internal/testenv"
	"github.com/handoffhq/handoff/postgres"
)

func TestMain(m *testing.M) { testenv.Run(m) }

// testServer is the API over a fresh database and no Temporal client: enough for every
// path that refuses a request before a run would start.
type testServer struct {
	t    *testing.T
	srv  *Server
	db   *postgres.DB
	keys map[string]string
}

func newTestServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, testenv.DatabaseURL(t))
	must.NoError(t, err)
	t.Cleanup(db.Close)
	must.NoError(t, db.Migrate(ctx))
	ts := &testServer{t: t, db: db, keys: map[string]string{},
		srv: New(cfg, db, nil, definitions.NewEngine(), slog.New(slog.DiscardHandler))}
	for id, role := range map[string]string{"dana": roleDesigner, "mallory": roleMember} {
		_, err := db.CreateUser(ctx, postgres.User{ID: id, Name: id, Role: role, Groups: []string{}})
		must.NoError(t, err)
		key, hash := NewKey()
		_, err = db.CreateAPIKey(ctx, id, key[:7], hash)
		must.NoError(t, err)
		ts.keys[id] = key
	}
	return ts
}

// testBox is a secrets box with a fresh key.
func testBox(t *testing.T) *secrets.Box {
	t.Helper()
	key, err := secrets.ParseKey(secrets.NewKey())
	must.NoError(t, err)
	box, err := secrets.NewBox(key)
	must.NoError(t, err)
	return box
}

func (ts *testServer) publish(src string) {
	ts.t.Helper()
	_, _, err := Publish(context.Background(), ts.db, []byte(src), "dana")
	must.NoError(ts.t, err)
}

type testResponse struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request as user ("" sends no key); body is JSON-encoded unless it is a string or []byte.
func (ts *testServer) do(user, method, path string, body any, header http.Header) testResponse {
	ts.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewReader([]byte(b))
	case []byte:
		r = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		must.NoError(ts.t, err)
		r = bytes.NewReader(buf)
	}
	req := httptest.NewRequest(method, path, r)
	for k, v := range header {
		req.Header[k] = v
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+ts.keys[user])
	}
	rec := httptest.NewRecorder()
	ts.srv.ServeHTTP(rec, req)
	out := testResponse{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	if rec.Body.Len() > 0 && rec.Body.Bytes()[0] == '{' {
		must.NoError(ts.t, json.Unmarshal(rec.Body.Bytes(), &out.body), out.raw)
	}
	return out
}

// problem asserts a problem+json answer with the status and returns field → message.
func (r testResponse) problem(t *testing.T, status int) map[string]string {
	t.Helper()
	must.Equal(t, status, r.status, r.raw)
	must.Equal(t, "application/problem+json", r.header.Get("Content-Type"), r.raw)
	fields := map[string]string{}
	if errs, ok := r.body["errors"].([]any); ok {
		for _, e := range errs {
			m := e.(map[string]any)
			fields[m["field"].(string)] = m["message"].(string)
		}
	}
	return fields
}
