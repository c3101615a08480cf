package chaos

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// faults is the matrix, in the order it runs.
func faults() []fault {
	return []fault{
		{"F1", "worker killed during an http step", workerKilledInFlight},
		{"F2", "worker killed between steps", workerKilledUnderLoad},
		{"F3", "Temporal killed", temporalKilled},
		{"F4", "Postgres restarted", postgresRestarted},
		{"F5", "API killed during webhook intake", apiKilled},
		{"F10", "due dates across downtime", dueDatesAcrossDowntime},
		{"F11", "sticky cache of 8, 1,000 runs", cachePressure},
		{"F12", "delays and drops, worker↔Temporal", networkTrouble},
		{"F13", "overload at 3× the knee", overload},
		{"F16", "people racing: 3 × 20 completions at once", peopleRacing},
		{"F16K", "worker killed during racing completions", workerKilledRacing},
		{"F17", "Postgres down 60 s under load", postgresDown("F17", time.Minute)},
		{"F3L", "Temporal down 60 s under load", temporalDown},
		{"F17L", "Postgres down 5 min under load", postgresDown("F17L", 5*time.Minute)},
	}
}

// sessions is how many load sessions run during a fault: enough to keep steps in
// flight, few enough for a shared 2-core machine.
const sessions = 4

var everyWay = []string{viaAPI, viaWebhook, viaWebhookKey}

// workerKilledInFlight (F1): the sink holds an http step's request; the worker is killed
// with it in flight; the sink then performs the effect for a caller that is gone. The
// restarted worker retries the step with the same Idempotency-Key: one effect, and the
// run records that effect.
func workerKilledInFlight(ctx context.Context, s *suite) (outcome, error) {
	l := s.d.startLoad(ctx, "F1", sessions-1, everyWay...)
	held, release := s.stack.sink.holdNext()
	var key string
	select {
	case key = <-held:
	case <-time.After(60 * time.Second):
		release()
		l.finish(drainLimit)
		return outcome{}, errors.New("no http step reached the sink within 60 s")
	}
	if err := s.stack.worker.kill(); err != nil {
		return outcome{}, err
	}
	release()
	if err := s.stack.startWorker(ctx); err != nil {
		return outcome{}, err
	}
	repaired := time.Now()
	err := waitFor(ctx, 60*time.Second, "the held step's retry", func() bool { return s.stack.sink.attemptsAfter(key, repaired) > 0 })
	if err != nil {
		return outcome{}, err
	}
	retried := time.Since(repaired)
	probe, _ := s.d.probe(ctx, "F1", repaired, time.Minute)
	sleep(ctx, 3*time.Second)
	started, finished := l.finish(drainLimit)
	return outcome{recovery: retried, notes: []string{
		fmt.Sprintf("held %s, killed the worker, then let the sink perform it; the retry came %s after the restart (probe: %s)",
			key, retried.Round(100*time.Millisecond), probe.Round(100*time.Millisecond)),
		fmt.Sprintf("%d runs started, %d finished", started, finished)}}, nil
}

// workerKilledUnderLoad (F2): kill -9 the worker three times under load, between and
// during steps; each restart begins with an empty cache.
func workerKilledUnderLoad(ctx context.Context, s *suite) (outcome, error) {
	l := s.d.startLoad(ctx, "F2", sessions, everyWay...)
	var worst time.Duration
	for range 3 {
		sleep(ctx, 4*time.Second)
		if err := s.stack.worker.kill(); err != nil {
			return outcome{}, err
		}
		sleep(ctx, time.Second)
		restarted := time.Now()
		if err := s.stack.startWorker(ctx); err != nil {
			return outcome{}, err
		}
		rec, ok := s.d.probe(ctx, "F2", restarted, time.Minute)
		if !ok {
			return outcome{}, errors.New("no probe succeeded within a minute of the restart")
		}
		worst = max(worst, rec)
	}
	sleep(ctx, 3*time.Second)
	started, finished := l.finish(drainLimit)
	return outcome{recovery: worst, notes: []string{fmt.Sprintf("3 kills, 1 s down each; worst recovery shown; %d runs started, %d finished",
		started, finished)}}, nil
}

// temporalKilled (F3): kill -9 the file-backed dev server under load, restart it on the
// same file and port after 3 s; the worker and the API reconnect by themselves.
func temporalKilled(ctx context.Context, s *suite) (outcome, error) {
	l := s.d.startLoad(ctx, "F3", sessions, everyWay...)
	sleep(ctx, 5*time.Second)
	if err := s.stack.temporal.kill(); err != nil {
		return outcome{}, err
	}
	sleep(ctx, 3*time.Second)
	restarted := time.Now()
	if err := s.stack.startTemporal(ctx); err != nil {
		return outcome{}, err
	}
	rec, ok := s.d.probe(ctx, "F3", restarted, 2*time.Minute)
	if !ok {
		return outcome{}, errors.New("no probe succeeded within two minutes of the restart")
	}
	sleep(ctx, 5*time.Second)
	started, finished := l.finish(drainLimit)
	return outcome{recovery: rec, notes: []string{fmt.Sprintf("3 s down; %d runs started, %d finished", started, finished)}}, nil
}

// postgresRestarted (F4): pg_ctl restart -m immediate under load while definitions are
// published; the API must answer (2xx, 4xx or 503), never hang or 500, and the
// projection must catch up.
func postgresRestarted(ctx context.Context, s *suite) (outcome, error) {
	l := s.d.startLoad(ctx, "F4", sessions-1, everyWay...)
	pubCtx, stopPub := context.WithCancel(ctx)
	published := make(chan int)
	go func() {
		n := 0
		for ; pubCtx.Err() == nil; n++ {
			s.d.publish(ctx, "F4", n)
			sleep(pubCtx, 300*time.Millisecond)
		}
		published <- n
	}()
	sleep(ctx, 4*time.Second)
	began := time.Now()
	if err := s.stack.pg.RestartImmediate(ctx); err != nil {
		stopPub()
		return outcome{}, err
	}
	down := time.Since(began)
	rec, ok := s.d.probe(ctx, "F4", began, time.Minute)
	if !ok {
		stopPub()
		return outcome{}, errors.New("no probe succeeded within a minute of the restart")
	}
	sleep(ctx, 5*time.Second)
	stopPub()
	n := <-published
	started, finished := l.finish(drainLimit)
	return outcome{recovery: rec, judge: only503, notes: []string{
		fmt.Sprintf("restart took %s; %d publications; %d runs started, %d finished", down.Round(100*time.Millisecond), n, started, finished)}}, nil
}

// only503 is F4's rule: while Postgres is down the API answers 503, never another 5xx.
func only503(answers map[int]int) []string {
	var out []string
	for code, n := range answers {
		if code >= 500 && code != 503 {
			out = append(out, fmt.Sprintf("the API answered %d %d times while Postgres restarted (want 503)", code, n))
		}
	}
	return out
}

// apiKilled (F5): kill -9 the API while signed webhooks arrive; senders retry every
// unacknowledged delivery with the same webhook-id until it is acknowledged.
func apiKilled(ctx context.Context, s *suite) (outcome, error) {
	l := s.d.startLoad(ctx, "F5", sessions, viaWebhook, viaWebhookKey)
	sleep(ctx, 4*time.Second)
	if err := s.stack.api.kill(); err != nil {
		return outcome{}, err
	}
	sleep(ctx, 2*time.Second)
	restarted := time.Now()
	if err := s.stack.startAPI(ctx); err != nil {
		return outcome{}, err
	}
	rec, ok := s.d.probe(ctx, "F5", restarted, time.Minute)
	if !ok {
		return outcome{}, errors.New("no probe succeeded within a minute of the restart")
	}
	sleep(ctx, 4*time.Second)
	started, finished := l.finish(drainLimit)
	return outcome{recovery: rec, notes: []string{fmt.Sprintf("2 s down; %d webhook runs started, %d finished", started, finished)}}, nil
}
