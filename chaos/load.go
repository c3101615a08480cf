package chaos

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Ways a load session starts its runs.
const (
	viaAPI        = "api"
	viaWebhook    = "ingest"       // one run per webhook-id
	viaWebhookKey = "ingest-keyed" // one run per business key, from the payload
)

// load is a few sessions that each start a chaos-flow run and drive it to its end, over
// and over, while a fault happens.
type load struct {
	stopStarting context.CancelFunc
	stopDriving  context.CancelFunc
	wg           sync.WaitGroup
	mu           sync.Mutex
	started      int
	finished     int
}

// startLoad runs sessions sessions, each cycling through the ways in mix.
func (d *driver) startLoad(ctx context.Context, fault string, sessions int, mix ...string) *load {
	startCtx, stopStarting := context.WithCancel(ctx)
	driveCtx, stopDriving := context.WithCancel(ctx)
	l := &load{stopStarting: stopStarting, stopDriving: stopDriving}
	for i := range sessions {
		l.wg.Go(func() {
			for n := i; startCtx.Err() == nil; n++ {
				run, ok := d.startVia(driveCtx, fault, mix[n%len(mix)])
				if !ok {
					continue
				}
				l.count(&l.started)
				if d.drive(driveCtx, fault, run) {
					l.count(&l.finished)
				}
			}
		})
	}
	return l
}

// startVia starts one chaos-flow run the given way.
func (d *driver) startVia(ctx context.Context, fault, way string) (string, bool) {
	if way == viaAPI {
		return d.startRun(ctx, fault, "chaos-flow")
	}
	return d.deliver(ctx, fault, way)
}

func (l *load) count(n *int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	*n++
}

// finish stops starting runs and lets the sessions drive the runs they have to their
// end (and retry what is unacknowledged) for at most drain.
func (l *load) finish(drain time.Duration) (started, finished int) {
	l.stopStarting()
	t := time.AfterFunc(drain, l.stopDriving)
	l.wg.Wait()
	t.Stop()
	l.stopDriving()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.started, l.finished
}

// probe measures recovery: from since until a start of chaos-probe (the API, Temporal,
// the worker, an http activity and the projection, end to end) is answered 201, each
// attempt bounded at 15 s, for at most limit.
func (d *driver) probe(ctx context.Context, fault string, since time.Time, limit time.Duration) (time.Duration, bool) {
	var took time.Duration
	ok := retry(ctx, limit, func() bool {
		actx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		bk := d.next(fault + "-probe")
		a := d.api.call(actx, "alice", "POST", "/v1/runs", map[string]any{"definition": "chaos-probe",
			"inputs": map[string]any{"title": bk}, "business_key": bk}, nil)
		if a.status != http.StatusCreated || a.str("status") != "completed" {
			return false
		}
		took = time.Since(since)
		d.led.add(op{fault: fault, kind: opProbe, run: a.str("id"), businessKey: bk})
		return true
	})
	return took, ok
}

// bulk runs f over items with n goroutines.
func bulk[T any](n int, items []T, f func(T)) {
	ch := make(chan T)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for it := range ch {
				f(it)
			}
		})
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
}
