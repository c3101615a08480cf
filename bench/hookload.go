package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/handoffhq/handoff/internal/webhook"
)

// maxInFlight caps the deliveries waiting for an answer; a schedule that needs more is
// not sustained.
const maxInFlight = 2000

// hookResult is what one constant-rate phase of deliveries saw.
type hookResult struct {
	rate             float64
	sent, acked      int
	failed, overflow int
	latencies        []float64 // ms, from the scheduled send time (no coordinated omission)
	redelivered      int
	lost, duplicates int
	firstFailure     string
	acks             map[string]string // webhook-id → run id
	mu               sync.Mutex
}

// sustained reports whether the phase kept up: every delivery acknowledged, p99 within
// a second, nothing lost or started twice.
func (r *hookResult) sustained() bool {
	return r.failed == 0 && r.overflow == 0 && r.lost == 0 && r.duplicates == 0 &&
		percentile(r.latencies, 99) <= 1000
}

// hookPhase sends signed deliveries at rate per second for d (an open model): every
// tenth one redelivers an earlier acknowledged webhook-id, which must come back as a
// duplicate of the same run. Then every acknowledged run is checked to exist.
func (b *bencher) hookPhase(ctx context.Context, ep hookEndpoint, prefix string, rate float64, d time.Duration) (*hookResult, error) {
	res := &hookResult{rate: rate, acks: map[string]string{}}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	lat := newLatencies()
	var (
		wg       sync.WaitGroup
		inFlight atomic.Int64
	)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	n := int(rate * d.Seconds())
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(at))
		id, redelivery := prefix+strconv.Itoa(i), false
		if i%10 == 9 {
			res.mu.Lock()
			if _, ok := res.acks[prefix+strconv.Itoa(i-5)]; ok {
				id, redelivery = prefix+strconv.Itoa(i-5), true
			}
			res.mu.Unlock()
		}
		if inFlight.Load() >= maxInFlight {
			res.mu.Lock()
			res.overflow++
			res.mu.Unlock()
			continue
		}
		inFlight.Add(1)
		wg.Go(func() {
			defer inFlight.Add(-1)
			runID, dup, err := deliver(ctx, hc, ep, id)
			lat.add(time.Since(at))
			res.record(id, runID, dup, redelivery, err)
		})
	}
	wg.Wait()
	res.latencies = lat.done()
	res.sent = n
	return res, b.verifyRuns(ctx, res)
}

// record notes one answer.
func (r *hookResult) record(id, runID string, dup, redelivery bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.failed++
		if r.firstFailure == "" {
			r.firstFailure = err.Error()
		}
		return
	}
	r.acked++
	if redelivery {
		r.redelivered++
		if !dup || r.acks[id] != runID {
			r.duplicates++
		}
		return
	}
	if prev, ok := r.acks[id]; ok && prev != runID {
		r.duplicates++
	}
	r.acks[id] = runID
}

// deliver sends one signed delivery and returns the run it started.
func deliver(ctx context.Context, hc *http.Client, ep hookEndpoint, id string) (string, bool, error) {
	body, _ := json.Marshal(map[string]string{"owner": "hook-owner", "title": "Delivery " + id})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.url, bytes.NewReader(body))
	if err != nil {
		return "", false, err
	}
	now := time.Now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.HeaderID, id)
	req.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(webhook.HeaderSignature, webhook.Sign(ep.key, id, now, body))
	resp, err := hc.Do(req)
	if err != nil {
		return "", false, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return "", false, fmt.Errorf("delivery %s: %d %s", id, resp.StatusCode, bytes.TrimSpace(raw))
	}
	var out struct {
		RunID     string `json:"run_id"`
		Duplicate bool   `json:"duplicate"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.RunID == "" {
		return "", false, fmt.Errorf("delivery %s: answer %s", id, raw)
	}
	return out.RunID, out.Duplicate, nil
}

// verifyRuns checks that every acknowledged delivery's run exists, and that no two
// deliveries share a run.
func (b *bencher) verifyRuns(ctx context.Context, res *hookResult) error {
	seen := map[string]bool{}
	ids := make(chan string)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ferr error
	)
	for range 16 {
		wg.Go(func() {
			for runID := range ids {
				_, err := b.s.tc.DescribeWorkflow(ctx, runID, "")
				var nf *serviceerror.NotFound
				mu.Lock()
				switch {
				case errors.As(err, &nf):
					res.lost++
				case err != nil && ferr == nil:
					ferr = fmt.Errorf("describe %s: %w", runID, err)
				}
				mu.Unlock()
			}
		})
	}
	for _, runID := range res.acks {
		if seen[runID] {
			res.duplicates++
			continue
		}
		seen[runID] = true
		ids <- runID
	}
	close(ids)
	wg.Wait()
	return ferr
}
