package chaos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// racers are the people deciding a chaos-race task at the same instant.
var racers = []string{"alice", "bob", "carol"}

// racePerPerson is how many completions each racer sends at once.
const racePerPerson = 20

// peopleRacing (F16): 100 trials of three people sending 20 completions each at one
// approval at the same instant (alice approves, bob and carol reject), several trials at
// a time. Exactly one completion wins in each run; the oracle checks that the inbox, the
// audit (the history) and the events name that winner and nothing a losing completion
// wrote.
func peopleRacing(ctx context.Context, s *suite) (outcome, error) {
	const trials, atOnce = 100, 4
	var wg sync.WaitGroup
	var started, won atomic.Int64
	slots := make(chan struct{}, atOnce)
	for range trials {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			run, task, ok := s.d.startRace(ctx, "F16")
			if !ok {
				return
			}
			started.Add(1)
			if s.d.race(ctx, "F16", run, task) {
				won.Add(1)
			}
			s.d.drive(ctx, "F16", run)
		})
	}
	wg.Wait()
	return outcome{notes: []string{fmt.Sprintf("%d trials: %d runs, %d races won by one completion; %d completions per race, %d at a time",
		trials, started.Load(), won.Load(), len(racers)*racePerPerson, atOnce)}}, nil
}

// workerKilledRacing (F16K): a burst of races on 20 runs at once; the worker is killed
// in the middle of it and restarted a second later.
func workerKilledRacing(ctx context.Context, s *suite) (outcome, error) {
	const runs = 20
	type race struct{ run, task string }
	var races []race
	for range runs {
		run, task, ok := s.d.startRace(ctx, "F16K")
		if !ok {
			return outcome{}, errors.New("a chaos-race run could not be started")
		}
		races = append(races, race{run, task})
	}
	var wg sync.WaitGroup
	for _, r := range races {
		wg.Go(func() { s.d.race(ctx, "F16K", r.run, r.task) })
	}
	sleep(ctx, 300*time.Millisecond)
	if err := s.stack.worker.kill(); err != nil {
		return outcome{}, err
	}
	sleep(ctx, time.Second)
	restarted := time.Now()
	if err := s.stack.startWorker(ctx); err != nil {
		return outcome{}, err
	}
	wg.Wait()
	rec, _ := s.d.probe(ctx, "F16K", restarted, time.Minute)
	bulk(8, races, func(r race) { s.d.drive(ctx, "F16K", r.run) })
	return outcome{recovery: rec, notes: []string{fmt.Sprintf("%d races of %d completions each; the worker was killed 300 ms into them, down 1 s",
		runs, len(racers)*racePerPerson)}}, nil
}

// startRace starts a chaos-race run and returns it with its approval task.
func (d *driver) startRace(ctx context.Context, fault string) (run, task string, ok bool) {
	run, ok = d.startRun(ctx, fault, "chaos-race")
	if !ok {
		return "", "", false
	}
	v, ok := d.view(ctx, run)
	if !ok || len(v.open) != 1 {
		d.surprise(fault, "race "+run+" has no task to race on", answer{})
		return "", "", false
	}
	return run, v.open[0], true
}

// race sends every racer's completions at the same instant, each with its own
// Idempotency-Key, retrying an unanswered one with its key until it is answered (a
// retry of the winning request gets its result again). It reports whether exactly one
// completion was acknowledged; the oracle checks the rest.
func (d *driver) race(ctx context.Context, fault, run, task string) bool {
	start := make(chan struct{})
	var wg sync.WaitGroup
	var wins atomic.Int64
	for _, who := range racers {
		outcome := "rejected"
		if who == "alice" {
			outcome = "approved"
		}
		for i := range racePerPerson {
			key := fmt.Sprintf("race-%s-%s-%d", task, who, i)
			wg.Go(func() {
				<-start
				retry(ctx, opLimit, func() bool {
					a := d.api.call(ctx, who, "POST", "/v1/tasks/"+task+"/complete",
						map[string]any{"outcome": outcome, "comment": who + " says " + outcome},
						map[string]string{"Idempotency-Key": key})
					switch {
					case a.status == http.StatusOK:
						wins.Add(1)
						d.led.add(op{fault: fault, kind: opComplete, run: run, task: task, key: key, actor: who})
						return true
					case a.status == http.StatusConflict:
						return true // lost
					case a.status == http.StatusNotFound || a.status == http.StatusTooManyRequests || a.status >= 500 || a.status == 0:
						return false
					}
					d.surprise(fault, "race on "+task, a)
					return true
				})
			})
		}
	}
	close(start)
	wg.Wait()
	return wins.Load() == 1
}
