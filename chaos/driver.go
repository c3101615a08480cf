package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/handoffhq/handoff/internal/webhook"
)

// opLimit bounds how long one operation is retried before the driver gives up on it
// (it then stays unacknowledged and out of the ledger).
const opLimit = 90 * time.Second

// driver plays the people and systems that use Handoff, records what the API
// acknowledges in the ledger, and retries what it does not, idempotently: a start with
// its business key, a webhook with its webhook-id, a completion with its Idempotency-Key.
type driver struct {
	api   *apiClient
	led   *ledger
	sink  *sink
	hooks map[string][]byte // webhook trigger → signing key
	pub   string            // chaos-pub's source, $REVISION to fill in
	seq   atomic.Int64

	mu         sync.Mutex
	unexpected []string // answers no retry can fix, for the report
}

// surprise records an answer the driver did not expect (a bug somewhere).
func (d *driver) surprise(fault, what string, a answer) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.unexpected = append(d.unexpected, fmt.Sprintf("%s: %s: %d %s", fault, what, a.status, strings.TrimSpace(a.raw)))
}

// takeSurprises returns the unexpected answers so far and forgets them.
func (d *driver) takeSurprises() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.unexpected
	d.unexpected = nil
	return out
}

// next is a fresh name within the fault: business keys, titles, webhook-ids.
func (d *driver) next(fault string) string {
	return fmt.Sprintf("%s-%d", strings.ToLower(fault), d.seq.Add(1))
}

// startRun starts a run of def through POST /v1/runs with a business key, so that a
// retry of an unanswered start finds the run instead of starting a second one.
func (d *driver) startRun(ctx context.Context, fault, def string) (string, bool) {
	bk := d.next(fault)
	body := map[string]any{"definition": def, "inputs": map[string]any{"title": bk}, "business_key": bk}
	var run string
	ok := retry(ctx, opLimit, func() bool {
		a := d.api.call(ctx, "alice", "POST", "/v1/runs", body, nil)
		switch {
		case a.status == http.StatusCreated:
			run = a.str("id")
		case a.status == http.StatusConflict && a.str("run_id") != "":
			run = a.str("run_id") // an earlier, unanswered attempt started it
		case a.status >= 400 && a.status < 500 && a.status != http.StatusTooManyRequests:
			d.surprise(fault, "start "+def, a)
			return true
		default:
			return false
		}
		d.led.add(op{fault: fault, kind: opStart, run: run, businessKey: bk})
		return true
	})
	return run, ok && run != ""
}

// deliver starts a chaos-flow run through a signed webhook, as a sender that retries every
// unacknowledged delivery with the same webhook-id (and a fresh signature) would.
func (d *driver) deliver(ctx context.Context, fault, trigger string) (string, bool) {
	n := d.next(fault)
	id := "msg-" + n
	payload, _ := json.Marshal(map[string]string{"id": n, "title": n})
	bk := ""
	if trigger == "ingest-keyed" {
		bk = n
	}
	var run string
	ok := retry(ctx, opLimit, func() bool {
		now := time.Now()
		a := d.api.call(ctx, "", "POST", "/v1/hooks/chaos-flow/"+trigger, payload, map[string]string{
			webhook.HeaderID: id, webhook.HeaderTimestamp: strconv.FormatInt(now.Unix(), 10),
			webhook.HeaderSignature: webhook.Sign(d.hooks[trigger], id, now, payload)})
		switch {
		case a.status == http.StatusAccepted && a.str("run_id") != "":
			run = a.str("run_id")
		case a.status >= 400 && a.status < 500 && a.status != http.StatusTooManyRequests:
			d.surprise(fault, "webhook "+trigger, a)
			return true
		default:
			return false
		}
		d.led.add(op{fault: fault, kind: opWebhook, run: run, delivery: id, businessKey: bk})
		return true
	})
	return run, ok && run != ""
}

// runView is what GET /v1/runs/{id} says of a run.
type runView struct {
	status string
	open   []string // open task ids
}

// view reads a run through the API (a query to the run), retrying until it answers.
func (d *driver) view(ctx context.Context, run string) (runView, bool) {
	var v runView
	ok := retry(ctx, opLimit, func() bool {
		a := d.api.call(ctx, "alice", "GET", "/v1/runs/"+run, nil, nil)
		if a.status != http.StatusOK {
			return false
		}
		v = runView{status: a.str("status")}
		open, _ := a.body["open_tasks"].([]any)
		for _, t := range open {
			if m, ok := t.(map[string]any); ok {
				id, _ := m["id"].(string)
				v.open = append(v.open, id)
			}
		}
		return true
	})
	return v, ok
}

// drive completes the run's tasks until it has ended; false when it could not.
func (d *driver) drive(ctx context.Context, fault, run string) bool {
	for ctx.Err() == nil {
		v, ok := d.view(ctx, run)
		if !ok {
			return false
		}
		switch v.status {
		case "completed":
			return true
		case "failed", "cancelled":
			d.surprise(fault, "run "+run+" ended "+v.status, answer{})
			return false
		}
		if len(v.open) == 0 { // an http step is running
			sleep(ctx, 200*time.Millisecond)
			continue
		}
		for _, task := range v.open {
			d.complete(ctx, fault, run, task)
		}
	}
	return false
}

// complete completes a task with an Idempotency-Key; a retry with the same key gets the
// first completion's answer.
func (d *driver) complete(ctx context.Context, fault, run, task string) bool {
	key := "ck-" + task
	return retry(ctx, opLimit, func() bool {
		a := d.api.call(ctx, "alice", "POST", "/v1/tasks/"+task+"/complete", map[string]any{"data": map[string]any{}},
			map[string]string{"Idempotency-Key": key})
		switch a.status {
		case http.StatusOK:
			d.led.add(op{fault: fault, kind: opComplete, run: run, task: task, key: key})
			return true
		case http.StatusConflict:
			return true // closed by an unanswered attempt of ours, or the run ended: not acknowledged
		case http.StatusNotFound, http.StatusTooManyRequests:
			return false // not in the inbox projection yet
		}
		if a.status >= 400 && a.status < 500 {
			d.surprise(fault, "complete "+task, a)
			return true
		}
		return false
	})
}

// publish publishes revision n of chaos-pub.
func (d *driver) publish(ctx context.Context, fault string, n int) bool {
	src := []byte(strings.ReplaceAll(d.pub, "$REVISION", fmt.Sprintf("%s revision %d", fault, n)))
	return retry(ctx, opLimit, func() bool {
		a := d.api.call(ctx, "admin", "POST", "/v1/definitions", src, map[string]string{"Content-Type": "application/yaml"})
		if a.status == http.StatusCreated || a.status == http.StatusOK {
			v, _ := a.body["version"].(float64)
			d.led.add(op{fault: fault, kind: opPublish, version: int(v), hash: a.str("hash")})
			return true
		}
		if a.status >= 400 && a.status < 500 && a.status != http.StatusTooManyRequests {
			d.surprise(fault, "publish", a)
			return true
		}
		return false
	})
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
