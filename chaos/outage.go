package chaos

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// postgresDown (F17): Postgres goes away for d under load, as a crash that takes d to
// recover would (pg_ctl stop -m immediate, start again on the same data); meanwhile the
// API answers 503 for what needs Postgres and runs whose inbox writes fall in the outage
// wait on them. No acknowledged run fails: every one catches up when Postgres is back.
func postgresDown(fault string, d time.Duration) func(ctx context.Context, s *suite) (outcome, error) {
	return func(ctx context.Context, s *suite) (outcome, error) {
		l := s.d.startLoad(ctx, fault, sessions, everyWay...)
		sleep(ctx, 4*time.Second)
		if err := s.stack.pg.Down(ctx); err != nil {
			return outcome{}, err
		}
		sleep(ctx, d) // the outage itself
		back := time.Now()
		if err := s.stack.pg.Up(ctx); err != nil {
			return outcome{}, err
		}
		rec, ok := s.d.probe(ctx, fault, back, 2*time.Minute)
		if !ok {
			return outcome{}, errors.New("no probe succeeded within two minutes of Postgres coming back")
		}
		sleep(ctx, 3*time.Second)
		started, finished := l.finish(drainLimit)
		s.driveAll(ctx, fault)
		return outcome{recovery: rec, judge: only503, notes: []string{
			fmt.Sprintf("Postgres down %s under load; %d runs started, %d finished by their sessions, the rest driven after",
				d, started, finished)}}, nil
	}
}

// temporalDown (F3L): the dev server is killed under load and stays down for a minute,
// then restarts on the same file and port.
func temporalDown(ctx context.Context, s *suite) (outcome, error) {
	l := s.d.startLoad(ctx, "F3L", sessions, everyWay...)
	sleep(ctx, 5*time.Second)
	if err := s.stack.temporal.kill(); err != nil {
		return outcome{}, err
	}
	sleep(ctx, time.Minute)
	restarted := time.Now()
	if err := s.stack.startTemporal(ctx); err != nil {
		return outcome{}, err
	}
	rec, ok := s.d.probe(ctx, "F3L", restarted, 2*time.Minute)
	if !ok {
		return outcome{}, errors.New("no probe succeeded within two minutes of the restart")
	}
	sleep(ctx, 5*time.Second)
	started, finished := l.finish(drainLimit)
	s.driveAll(ctx, "F3L")
	return outcome{recovery: rec, notes: []string{fmt.Sprintf("60 s down; %d runs started, %d finished by their sessions, the rest driven after",
		started, finished)}}, nil
}

// driveAll drives every run the fault acknowledged to its end: sessions give up on an
// operation after opLimit, and a long outage outlasts that.
func (s *suite) driveAll(ctx context.Context, fault string) {
	bulk(8, runsOf(s.led.of(fault)), func(run string) { s.d.drive(ctx, fault, run) })
}
