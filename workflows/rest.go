package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"
)

// A run answers an Update once it has come to rest: every coroutine is waiting for
// people, a timer or an event, or has ended. busy counts the coroutines still working.
// Whoever makes a waiting coroutine's condition true (a handler completing a task, a
// branch finishing) wakes it with wake, which counts it busy at once, so a handler
// never sees the run at rest while a woken coroutine has yet to run.

// waiter is a coroutine resting on a condition.
type waiter struct {
	cond  func() bool
	woken bool
}

// rest waits until cond holds, counting this coroutine as resting meanwhile. Pending
// projection writes are flushed and Temporal Web is brought up to date first, so the
// inbox is true while the run waits.
func (r *run) rest(ctx workflow.Context, cond func() bool) error {
	if cond() {
		return nil
	}
	if err := r.flush(ctx); err != nil {
		return err
	}
	r.updateVisibility()
	if cond() {
		return nil
	}
	w := &waiter{cond: cond}
	r.waiters = append(r.waiters, w)
	r.busy--
	r.takeSignals(ctx, func() bool { return w.woken || cond() })
	err := workflow.Await(ctx, func() bool { return w.woken || cond() })
	r.waiters = slices.DeleteFunc(r.waiters, func(o *waiter) bool { return o == w })
	if !w.woken {
		r.busy++
	}
	return err
}

// restFor is rest with a timeout; it reports whether cond held before the timeout.
func (r *run) restFor(ctx workflow.Context, d time.Duration, summary string, cond func() bool) (bool, error) {
	if cond() {
		return true, nil
	}
	if d <= 0 {
		return false, nil
	}
	tctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	timedOut := false
	timer := workflow.NewTimerWithOptions(tctx, d, workflow.TimerOptions{Summary: summary})
	err := r.rest(ctx, func() bool {
		if timer.IsReady() {
			timedOut = true
			return true
		}
		return cond()
	})
	if err != nil {
		return false, err
	}
	return !timedOut || cond(), nil
}

// wake counts every resting coroutine whose condition now holds as busy again.
func (r *run) wake() {
	for _, w := range r.waiters {
		if !w.woken && w.cond() {
			w.woken = true
			r.busy++
		}
	}
}

// takeSignals takes the completion signals that arrive while a coroutine rests, until
// ready holds or ctx is done. From version 3 the signals have no coroutine of their own
// (registerHandlers): a signal is taken at the run's next rest, by whichever coroutine
// rests first. Versions 1 and 2 return at once.
func (r *run) takeSignals(ctx workflow.Context, ready func() bool) {
	for r.signals != nil && !ready() && ctx.Err() == nil {
		// One coroutine at a time takes them, in the order they came (a signal's actor is
		// looked up, which waits: signalling counts those in progress).
		_ = workflow.Await(ctx, func() bool { return ready() || r.signals.Len() > 0 && r.signalling == 0 })
		if ready() || ctx.Err() != nil {
			return
		}
		// The actor's lookup finishes even if this coroutine's wait is cancelled meanwhile
		// (a parallel branch no longer needed): the signal may be for another task.
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		r.drainSignals(dctx)
	}
}
