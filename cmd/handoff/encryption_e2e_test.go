package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/encryption"
	"github.com/handoffhq/handoff/evidence"
	"github.com/handoffhq/handoff/internal/testenv"
	"github.com/handoffhq/handoff/workflows"
)

// planted is a form value that must never be readable in raw history with encryption on.
const planted = "PLANTED-salary-93411"

func withEncryption(c *Config) {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	c.EncryptionKeys = "k1:" + base64.StdEncoding.EncodeToString(k)
}

// runWithPlantedValue completes the first task of a twoTasks run with the planted value
// and returns the run's raw history, read by a client without the codec.
func runWithPlantedValue(t *testing.T, s *stack) (string, []*historypb.HistoryEvent) {
	t.Helper()
	s.do("dana", "POST", "/v1/definitions", twoTasks).must(t, http.StatusCreated)
	run := s.do("admin", "POST", "/v1/runs", map[string]any{"definition": "equipment-request",
		"inputs": map[string]any{"employee": "Jane Doe"}}).must(t, http.StatusCreated)
	id := run["id"].(string)
	task := run["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
	s.do("alice", "POST", "/v1/tasks/"+task+"/complete", map[string]any{
		"data": map[string]any{"laptop": planted, "monitors": 2}}).must(t, http.StatusOK)
	raw := testenv.Temporal(t).Client() // the default data converter: no codec
	history, _, err := evidence.FetchHistory(context.Background(), raw, id, "")
	require.NoError(t, err)
	return id, history
}

// payloadsOf lists every payload of the history except search attributes (never encrypted).
func payloadsOf(t *testing.T, history []*historypb.HistoryEvent) []*commonpb.Payload {
	t.Helper()
	var out []*commonpb.Payload
	require.NoError(t, proxy.VisitPayloads(context.Background(), &historypb.History{Events: history}, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
			out = append(out, p...)
			return p, nil
		},
	}))
	return out
}

// TestEncryptedPayloads plants a form value in a run with encryption on and looks for it
// in the raw history (read by a client without the codec), then gets it back through
// the codec endpoints. The stacks run one after the other: they share the dev server's
// task queue, and a worker without the codec cannot run an encrypted workflow.
func TestEncryptedPayloads(t *testing.T) {
	t.Run("control without encryption", func(t *testing.T) {
		plain := newStack(t)
		id, clear := runWithPlantedValue(t, plain)
		require.True(t, containsPlanted(payloadsOf(t, clear)), "the planted value is in an unencrypted history")
		plain.do("audrey", "POST", "/codec/decode", codecBody(t, clear[0].GetWorkflowExecutionStartedEventAttributes().
			GetInput().GetPayloads()[0])).problem(t, http.StatusNotFound)
		finishRun(t, plain, id)
	})

	s := newStack(t, withEncryption)
	id, history := runWithPlantedValue(t, s)
	payloads := payloadsOf(t, history)
	require.NotEmpty(t, payloads)
	require.False(t, containsPlanted(payloads), "no payload holds the planted value in the clear")
	for _, p := range payloads {
		require.Equal(t, encryption.Encoding, string(p.GetMetadata()[converter.MetadataEncoding]))
	}
	rawJSON, err := protojson.Marshal(&historypb.History{Events: history})
	require.NoError(t, err)
	require.NotContains(t, string(rawJSON), planted)
	require.NotContains(t, string(rawJSON), base64.StdEncoding.EncodeToString([]byte(planted)))

	// Handoff itself still reads it: the audit trail decodes with the codec.
	body := s.do("admin", "GET", "/v1/runs/"+id+"/audit", nil).must(t, http.StatusOK)
	require.Contains(t, string(mustMarshal(t, body)), planted)

	checkCodecServer(t, s, updateArgs(t, history, workflows.UpdateComplete))
	finishRun(t, s, id)
	t.Run("replay", func(t *testing.T) { checkReplay(t, s, id) })
}

// checkReplay replays the encrypted history: a replayer with the codec's data converter
// can; one without cannot even read the run's input.
func checkReplay(t *testing.T, s *stack, id string) {
	t.Helper()
	history, _, err := evidence.FetchHistory(context.Background(), testenv.Temporal(t).Client(), id, "")
	require.NoError(t, err)
	replay := func(events []*historypb.HistoryEvent, dc converter.DataConverter) error {
		r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: dc})
		require.NoError(t, err)
		r.RegisterWorkflowWithOptions(workflows.NewInterpreter(definitions.NewEngine()).Run,
			workflow.RegisterOptions{Name: workflows.WorkflowName})
		// The history does not hold its own workflow id, and the interpreter names its
		// tasks after it: the replay must run as the same execution.
		return r.ReplayWorkflowHistoryWithOptions(nil, &historypb.History{Events: events},
			worker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: id}})
	}
	require.Error(t, replay(history, converter.GetDefaultDataConverter()), "without the codec the history cannot be replayed")
	require.NoError(t, replay(history, s.main.dc), "with the codec the encrypted history replays")
}

// finishRun completes the second task of a twoTasks run, so that no run of this stack's
// codec is left open for the next test's worker.
func finishRun(t *testing.T, s *stack, id string) {
	t.Helper()
	task := openTaskOf(t, s, id, "budget")
	s.do("bob", "POST", "/v1/tasks/"+task+"/complete", map[string]any{"data": map[string]any{"cost": 10}}).must(t, http.StatusOK)
}

// checkCodecServer decodes the encrypted completion through /codec/decode: for auditors
// and admins only (they may see every run's data), by key or by a session cookie that
// holds a codec-only credential of its own, from the allowed origin.
func checkCodecServer(t *testing.T, s *stack, encrypted *commonpb.Payload) {
	body := codecBody(t, encrypted)
	res := s.do("audrey", "POST", "/codec/decode", body)
	require.Equal(t, http.StatusOK, res.Status, res.Raw)
	require.Contains(t, decodedData(t, res.Raw), planted)
	require.Contains(t, decodedData(t, s.do("admin", "POST", "/codec/decode", body).Raw), planted)
	s.do("", "POST", "/codec/decode", body).problem(t, http.StatusUnauthorized)
	s.do("mallory", "POST", "/codec/decode", body).problem(t, http.StatusForbidden)
	s.do("dana", "POST", "/codec/decode", body).problem(t, http.StatusForbidden) // a designer is not in every run
	require.Contains(t, s.do("audrey", "POST", "/codec/decode", `{"payloads": 7}`).problem(t, http.StatusUnprocessableEntity), "payloads")
	s.do("audrey", "GET", "/codec/decode", nil).problem(t, http.StatusNotFound)
	unknownKey := &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(encryption.Encoding),
		encryption.MetadataKeyID: []byte("retired")}, Data: encrypted.GetData()}
	require.Contains(t, s.do("audrey", "POST", "/codec/decode", codecBody(t, unknownKey)).
		problem(t, http.StatusUnprocessableEntity)["payloads"], `unknown encryption key id "retired"`)

	// encode, then decode, gives the payload back.
	plainPayload, err := converter.GetDefaultDataConverter().ToPayload(map[string]any{"x": "y"})
	require.NoError(t, err)
	enc := s.do("audrey", "POST", "/codec/encode", codecBody(t, plainPayload))
	require.Equal(t, http.StatusOK, enc.Status, enc.Raw)
	require.Contains(t, enc.Raw, base64.StdEncoding.EncodeToString([]byte(encryption.Encoding)))
	require.Contains(t, decodedData(t, s.do("audrey", "POST", "/codec/decode", enc.Raw).Raw), `{"x":"y"}`)

	// Temporal Web: a preflight from the allowed origin, then cookies instead of a header.
	origin := "http://localhost:8233"
	pre := rawRequest(t, s, "OPTIONS", "/codec/decode", "", "Origin", origin, "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type,x-namespace")
	require.Equal(t, http.StatusNoContent, pre.StatusCode)
	require.Equal(t, origin, pre.Header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "true", pre.Header.Get("Access-Control-Allow-Credentials"))
	require.Contains(t, pre.Header.Get("Access-Control-Allow-Headers"), "X-Namespace")
	evil := rawRequest(t, s, "OPTIONS", "/codec/decode", "", "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
	require.Equal(t, http.StatusForbidden, evil.StatusCode)
	require.Empty(t, evil.Header.Get("Access-Control-Allow-Origin"))

	form := url.Values{"key": {s.keys["audrey"]}}.Encode()
	login := rawRequest(t, s, "POST", "/codec/session", form, "Content-Type", "application/x-www-form-urlencoded")
	require.Equal(t, http.StatusOK, login.StatusCode)
	cookies := login.Cookies()
	require.Len(t, cookies, 1)
	require.True(t, cookies[0].HttpOnly)
	require.Equal(t, "/codec", cookies[0].Path)
	require.NotEqual(t, s.keys["audrey"], cookies[0].Value, "the cookie never holds the operator's key")
	cookie := cookies[0].Name + "=" + cookies[0].Value
	decodeByCookie := func() *http.Response {
		return rawRequest(t, s, "POST", "/codec/decode", string(mustMarshal(t, body)), "Origin", origin, "Cookie", cookie,
			"Content-Type", "application/json", "X-Namespace", "default")
	}
	viaCookie := decodeByCookie()
	require.Equal(t, http.StatusOK, viaCookie.StatusCode)
	require.Equal(t, origin, viaCookie.Header.Get("Access-Control-Allow-Origin"))
	// The cookie's credential opens the codec only, expires with the session, and is listed.
	s.do(cookies[0].Value, "GET", "/v1/runs", nil).problem(t, http.StatusUnauthorized)
	keys := s.do("admin", "GET", "/v1/api-keys?user=audrey", nil).must(t, http.StatusOK)["api_keys"].([]any)
	require.Len(t, keys, 2)
	scopes := []any{keys[0].(map[string]any)["scope"], keys[1].(map[string]any)["scope"]}
	require.ElementsMatch(t, []any{"api", "codec"}, scopes)
	// Ending the session revokes the credential, not only the cookie.
	end := rawRequest(t, s, "DELETE", "/codec/session", "", "Cookie", cookie)
	require.Equal(t, http.StatusNoContent, end.StatusCode)
	require.Equal(t, http.StatusUnauthorized, decodeByCookie().StatusCode, "a deleted session decodes nothing")
	require.Len(t, s.do("admin", "GET", "/v1/api-keys?user=audrey", nil).must(t, http.StatusOK)["api_keys"], 1)
	require.Equal(t, http.StatusOK, s.do("audrey", "POST", "/codec/decode", body).Status, "the operator's own key still works")
	member := rawRequest(t, s, "POST", "/codec/session", url.Values{"key": {s.keys["mallory"]}}.Encode(),
		"Content-Type", "application/x-www-form-urlencoded")
	require.Equal(t, http.StatusForbidden, member.StatusCode)
	require.Empty(t, member.Cookies())
	page := rawRequest(t, s, "GET", "/codec/session", "")
	require.Equal(t, http.StatusOK, page.StatusCode)
}

func containsPlanted(payloads []*commonpb.Payload) bool {
	for _, p := range payloads {
		if bytes.Contains(p.GetData(), []byte(planted)) {
			return true
		}
	}
	return false
}

// updateArgs returns the (encoded) argument of the first accepted update of the name.
func updateArgs(t *testing.T, history []*historypb.HistoryEvent, name string) *commonpb.Payload {
	t.Helper()
	for _, ev := range history {
		in := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput()
		if in.GetName() == name && len(in.GetArgs().GetPayloads()) > 0 {
			return in.GetArgs().GetPayloads()[0]
		}
	}
	t.Fatalf("no accepted %s update in history", name)
	return nil
}

// codecBody is a codec server request for one payload, as Temporal Web sends it.
func codecBody(t *testing.T, p *commonpb.Payload) []byte {
	t.Helper()
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{p}})
	require.NoError(t, err)
	return b
}

// decodedData is the data of the payloads a codec response holds, concatenated.
func decodedData(t *testing.T, raw string) string {
	t.Helper()
	var out commonpb.Payloads
	require.NoError(t, protojson.Unmarshal([]byte(raw), &out), raw)
	var b strings.Builder
	for _, p := range out.GetPayloads() {
		b.Write(p.GetData())
	}
	return b.String()
}

// rawRequest sends a request with headers (name, value pairs) and no API key.
func rawRequest(t *testing.T, s *stack, method, path, body string, headers ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	require.NoError(t, res.Body.Close())
	return res
}

// mustMarshal is v as JSON ([]byte passes through).
func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	if b, ok := v.([]byte); ok {
		return b
	}
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
