package chaos

import (
	"sync"
	"time"
)

// Kinds of acknowledged operations.
const (
	opStart    = "start"    // POST /v1/runs answered 201 (or 409 naming the run a retry had started)
	opWebhook  = "webhook"  // POST /v1/hooks/... answered 202 with a run id
	opComplete = "complete" // POST /v1/tasks/{id}/complete answered 200 (the Update's result)
	opPublish  = "publish"  // POST /v1/definitions answered 201 or 200 with a version
	opProbe    = "probe"    // a recovery probe's start, answered 201 once the run completed
)

// op is one acknowledged operation: what the client was told happened.
type op struct {
	fault, kind string
	at          time.Time
	run         string // the run it started or acted on
	task, key   string // a completion's task and Idempotency-Key
	actor       string // who completed (races)
	delivery    string // a webhook's webhook-id
	businessKey string
	version     int    // a publication's version
	hash        string // and its content hash
}

// ledger records every acknowledged operation, from many goroutines.
type ledger struct {
	mu  sync.Mutex
	ops []op
	// mustFire lists runs whose due-date timers must have fired (F10).
	mustFire map[string]bool
}

func newLedger() *ledger { return &ledger{mustFire: map[string]bool{}} }

func (l *ledger) add(o op) {
	l.mu.Lock()
	defer l.mu.Unlock()
	o.at = time.Now()
	l.ops = append(l.ops, o)
}

// of returns the operations of one fault.
func (l *ledger) of(fault string) []op {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []op
	for _, o := range l.ops {
		if o.fault == fault {
			out = append(out, o)
		}
	}
	return out
}

// runs lists the distinct runs a fault's operations started or acted on.
func runsOf(ops []op) []string {
	seen := map[string]bool{}
	var out []string
	for _, o := range ops {
		if o.run != "" && !seen[o.run] {
			seen[o.run] = true
			out = append(out, o.run)
		}
	}
	return out
}

func (l *ledger) markMustFire(run string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.mustFire[run] = true
}

func (l *ledger) firesRequired(run string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mustFire[run]
}
