package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/bench/baseline"
	"github.com/handoffhq/handoff/internal/webhook"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// hookEndpoint is where deliveries go and the key that signs them.
type hookEndpoint struct {
	url string
	key []byte
}

// hookEndpoints publishes bench-hook, creates its webhook secret through the API (A), and
// starts the hand-written receiver (B) on loopback.
func (b *bencher) hookEndpoints(ctx context.Context) (a, bl hookEndpoint, stop func(), err error) {
	sc := b.scenarios["hook"]
	if _, _, err := api.Publish(ctx, b.s.db, sc.source, "bench"); err != nil {
		return a, bl, nil, fmt.Errorf("publish %s: %w", sc.key(), err)
	}
	c := newAPIClient(b.s.apiURL, 4)
	if err := addUsers(ctx, b.s.db, c, []string{"hook-admin"}, "admin", nil); err != nil {
		return a, bl, nil, err
	}
	var secret struct {
		Secret string `json:"secret"`
	}
	if _, err := c.do(ctx, "hook-admin", "POST", "/v1/hooks/bench-hook/created/secrets", map[string]any{}, &secret); err != nil {
		return a, bl, nil, err
	}
	if a.key, err = webhook.ParseSecret(secret.Secret); err != nil {
		return a, bl, nil, err
	}
	a.url = b.s.apiURL + "/v1/hooks/bench-hook/created"
	bl.key = []byte("bench-baseline-hook-key-32-bytes")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return a, bl, nil, fmt.Errorf("listen for the baseline receiver: %w", err)
	}
	srv := &http.Server{Handler: &hookReceiver{db: b.s.db, tc: b.s.tc, key: bl.key}, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	bl.url = "http://" + ln.Addr().String() + "/hooks/created"
	return a, bl, func() { _ = srv.Close() }, nil
}

// hookReceiver is the hand-written webhook receiver a competent engineer would put in
// front of the hand-written workflow: verify the Standard Webhooks signature, and start
// exactly one run per webhook-id (the id derived from it, USE_EXISTING, and the delivery
// recorded in Postgres in the same transaction, as temporal-and-machine.md advises).
type hookReceiver struct {
	db  *postgres.DB
	tc  client.Client
	key []byte
}

const baselineHookKey = "bench-hook-baseline"

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	d, err := webhook.Verify([][]byte{h.key}, r.Header, body, time.Now())
	if err != nil {
		http.Error(w, webhook.ErrInvalid.Error(), http.StatusUnauthorized)
		return
	}
	var p struct{ Owner, Title string }
	if err := json.Unmarshal(body, &p); err != nil || p.Owner == "" || p.Title == "" {
		http.Error(w, "owner and title are required", http.StatusUnprocessableEntity)
		return
	}
	sum := sha256.Sum256([]byte(d.ID))
	runID := baselineHookKey + "-wh-" + hex.EncodeToString(sum[:])[:16]
	rec, dup, err := h.db.StartDelivery(r.Context(), postgres.WebhookDelivery{Definition: baselineHookKey,
		Trigger: "created", WebhookID: d.ID, RunID: runID}, func(ctx context.Context) error {
		_, err := h.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: runID, TaskQueue: workflows.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			TypedSearchAttributes:    temporal.NewSearchAttributes(workflows.AttrDefinition.ValueSet("bench-hook")),
		}, baseline.HookName, baseline.Input{Owner: p.Owner, Title: p.Title, StartedBy: "webhook:created", Version: 1})
		return err
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(map[string]any{"run_id": rec.RunID, "duplicate": dup})
}
