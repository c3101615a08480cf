package chaos

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
)

// verdict is what the oracle found for one fault's ledger.
type verdict struct {
	acked, lost, dup, viol int
	findings               []string
	// repeats counts journal entries written twice by the interpreter (one firing, two
	// records in the audit trail): reported, not failed, see docs/reliability.md.
	repeats     int
	repeatedRun string
}

func (v *verdict) lose(format string, args ...any) {
	v.lost++
	v.findings = append(v.findings, "LOST "+fmt.Sprintf(format, args...))
}

func (v *verdict) duplicate(format string, args ...any) {
	v.dup++
	v.findings = append(v.findings, "DUPLICATE "+fmt.Sprintf(format, args...))
}

func (v *verdict) violate(format string, args ...any) {
	v.viol++
	v.findings = append(v.findings, "VIOLATION "+fmt.Sprintf(format, args...))
}

// check runs the oracle over one fault's acknowledged operations, after the backlog has
// drained: (1) durable, (2) at most one effect / run per key, (3) not stuck, (4) the
// projection equals a rebuild from the histories, (5) due-date timers fired once and
// not early.
func (s *suite) check(ctx context.Context, fault string) (verdict, error) {
	ops := s.led.of(fault)
	v := verdict{acked: len(ops)}
	hist, err := s.histories(ctx, runsOf(ops))
	if err != nil {
		return v, err
	}
	vis, err := s.visibility(ctx)
	if err != nil {
		return v, err
	}
	for _, o := range ops {
		if err := s.checkOp(ctx, &v, o, hist[o.run], vis); err != nil {
			return v, err
		}
	}
	for _, run := range runsOf(ops) {
		if err := s.checkRun(ctx, &v, hist[run]); err != nil {
			return v, err
		}
	}
	if err := s.checkPublications(ctx, &v, ops); err != nil {
		return v, err
	}
	s.checkWinners(ctx, &v, ops)
	if _, _, noKey := s.stack.sink.snapshot(); noKey > 0 {
		v.violate("%d http step requests carried no Idempotency-Key", noKey)
	}
	return v, nil
}

// histories reads the runs' histories, eight at a time.
func (s *suite) histories(ctx context.Context, runs []string) (map[string]runHistory, error) {
	out := make(map[string]runHistory, len(runs))
	var mu sync.Mutex
	var firstErr error
	bulk(8, runs, func(run string) {
		h, err := readHistory(ctx, s.stack.tc, run)
		mu.Lock()
		defer mu.Unlock()
		if err != nil && firstErr == nil {
			firstErr = err
		}
		out[run] = h
	})
	return out, firstErr
}

// executions counts the executions of every run by webhook-id and by business key, from
// Temporal's visibility store.
type executions struct{ byDelivery, byKey map[string]int }

func (s *suite) visibility(ctx context.Context) (executions, error) {
	ex := executions{byDelivery: map[string]int{}, byKey: map[string]int{}}
	dc := converter.GetDefaultDataConverter()
	var token []byte
	for {
		res, err := s.stack.tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{PageSize: 1000, NextPageToken: token})
		if err != nil {
			return ex, fmt.Errorf("list runs: %w", err)
		}
		for _, e := range res.GetExecutions() {
			var id, key string
			if p := e.GetMemo().GetFields()["handoff_webhook_id"]; p != nil && dc.FromPayload(p, &id) == nil && id != "" {
				ex.byDelivery[id]++
			}
			if p := e.GetSearchAttributes().GetIndexedFields()["HandoffBusinessKey"]; p != nil && dc.FromPayload(p, &key) == nil && key != "" {
				ex.byKey[key]++
			}
		}
		if token = res.GetNextPageToken(); len(token) == 0 {
			return ex, nil
		}
	}
}

// checkOp checks that one acknowledged operation is durable and happened once.
func (s *suite) checkOp(ctx context.Context, v *verdict, o op, h runHistory, ex executions) error {
	switch o.kind {
	case opStart, opWebhook, opProbe:
		if !h.found {
			v.lose("%s of run %s: no such run in Temporal", o.kind, o.run)
		}
		if n := ex.byKey[o.businessKey]; o.businessKey != "" && n > 1 {
			v.duplicate("business key %s has %d runs", o.businessKey, n)
		}
		if o.kind == opWebhook {
			return s.checkDelivery(ctx, v, o, ex)
		}
	case opComplete:
		id := "complete/" + o.task + "/" + o.key
		if h.updatesDone[id] == 0 {
			v.lose("completion of %s (run %s): no completed Update %s in the history", o.task, o.run, id)
		}
		if h.updatesAccepted[id] > 1 {
			v.duplicate("completion of %s accepted %d times", o.task, h.updatesAccepted[id])
		}
	}
	return nil
}

// checkDelivery: exactly one run per webhook-id, and the delivery record names it.
func (s *suite) checkDelivery(ctx context.Context, v *verdict, o op, ex executions) error {
	if n := ex.byDelivery[o.delivery]; n > 1 {
		v.duplicate("webhook %s started %d runs", o.delivery, n)
	}
	var run string
	err := s.stack.db.QueryRow(ctx, `SELECT run_id FROM webhook_deliveries WHERE definition = 'chaos-flow' AND webhook_id = $1`,
		o.delivery).Scan(&run)
	if err != nil {
		v.lose("webhook %s: no delivery record (%v)", o.delivery, err)
		return nil
	}
	if run != o.run {
		v.lose("webhook %s: acknowledged run %s, recorded run %s", o.delivery, o.run, run)
	}
	return nil
}

// checkPublications: every acknowledged version is stored with its content, and no
// content was stored twice.
func (s *suite) checkPublications(ctx context.Context, v *verdict, ops []op) error {
	for _, o := range ops {
		if o.kind != opPublish {
			continue
		}
		var hash string
		err := s.stack.db.QueryRow(ctx, `SELECT hash FROM definitions WHERE key = 'chaos-pub' AND version = $1`, o.version).Scan(&hash)
		if err != nil || hash != o.hash {
			v.lose("published chaos-pub version %d (%s): stored %q (%v)", o.version, o.hash, hash, err)
		}
	}
	var twice int
	err := s.stack.db.QueryRow(ctx, `SELECT count(*) FROM (SELECT hash FROM definitions WHERE key = 'chaos-pub'
		GROUP BY hash HAVING count(*) > 1) AS d`).Scan(&twice)
	if err != nil {
		return fmt.Errorf("count duplicate publications: %w", err)
	}
	if twice > 0 {
		v.duplicate("%d chaos-pub contents stored as more than one version", twice)
	}
	return nil
}

// checkRun: the run completed without a failing workflow task, its http effects happened
// once each and match what it recorded, its projection equals a rebuild from its history,
// and its timers fired once and not early.
func (s *suite) checkRun(ctx context.Context, v *verdict, h runHistory) error {
	if !h.found {
		return nil // already counted as lost
	}
	if h.status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		v.violate("run %s is %s after the drain: %s", h.id, h.status, h.stuckBecause)
	}
	for cause, n := range h.taskFailures {
		if strings.Contains(cause, "NON_DETERMINISTIC") || strings.Contains(cause, "UNHANDLED_FAILURE") {
			v.violate("run %s: %d workflow task failures %s", h.id, n, cause)
		}
	}
	if h.continued {
		v.violate("run %s continued as new: the oracle reads one execution", h.id)
	}
	s.checkEffects(v, h)
	findings, repeats := timerFindings(h, s.led.firesRequired(h.id))
	for _, f := range findings {
		v.violate("run %s: %s", h.id, f)
	}
	if repeats > 0 {
		v.repeats += repeats
		v.repeatedRun = h.id
	}
	projected, err := s.projection(ctx, h)
	for _, f := range projected {
		v.violate("run %s: projection: %s", h.id, f)
	}
	return err
}

// checkEffects compares the run's http steps with the sink: one Idempotency-Key per step,
// and the ticket the run saved is the one effect the sink performed for it.
func (s *suite) checkEffects(v *verdict, h runHistory) {
	_, tickets, _ := s.stack.sink.snapshot()
	keys := map[string]bool{}
	for _, k := range h.httpKeys {
		keys[k] = true
	}
	if len(keys) > 1 {
		v.duplicate("run %s called its integration under %d different keys", h.id, len(keys))
	}
	if h.result == nil {
		return
	}
	for _, st := range h.result.Steps {
		ticket, ok := st.Data["ticket"].(string)
		if st.ID != "file" || !ok {
			continue
		}
		key := fmt.Sprintf("%s/%s/%d", h.id, st.ID, st.Round)
		if tickets[key] != ticket {
			v.lose("run %s saved ticket %s but the sink's effect for %s is %q", h.id, ticket, key, tickets[key])
		}
	}
}

// checkWinners: at most one completion acknowledged per task, whoever sent how many;
// and where people raced (F16), the task.completed event the subscription received
// names the one who won, once.
func (s *suite) checkWinners(ctx context.Context, v *verdict, ops []op) {
	keys, winner := map[string]map[string]bool{}, map[string]string{}
	for _, o := range ops {
		if o.kind != opComplete {
			continue
		}
		if keys[o.task] == nil {
			keys[o.task] = map[string]bool{}
		}
		keys[o.task][o.key] = true
		if o.actor != "" {
			winner[o.task] = o.actor
		}
	}
	for task, ks := range keys {
		if len(ks) > 1 {
			v.duplicate("task %s: %d completions acknowledged", task, len(ks))
		}
	}
	if len(winner) == 0 {
		return
	}
	_ = waitFor(ctx, 30*time.Second, "the events of the races", func() bool {
		got := s.stack.sink.completions()
		for task := range winner {
			if len(got[task]) == 0 {
				return false
			}
		}
		return true
	})
	got := s.stack.sink.completions()
	for task, who := range winner {
		switch by := got[task]; {
		case len(by) != 1:
			v.violate("task %s: %d task.completed events %v, want one naming %s", task, len(by), by, who)
		case by[0] != who:
			v.violate("task %s: the event names %s, the history %s", task, by[0], who)
		}
	}
}
