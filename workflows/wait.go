package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
)

// Wait outcomes.
const (
	OutcomeElapsed  = "elapsed"
	OutcomeReceived = "received"
	OutcomeTimeout  = "timeout"
)

// execWait pauses the run for a duration, until a date, or until a named event arrives
// (with an optional timeout whose path is a jump). The deadline is absolute and kept in
// the step state.
func (r *run) execWait(ctx workflow.Context, step *definitions.Step) (string, error) {
	w := step.Wait
	st := r.stepState(step)
	switch {
	case w.For != nil || w.Until != "":
		if !r.resumable(step) || st.Until == nil {
			until, err := r.waitDeadline(step)
			if err != nil {
				return "", r.fail(step, err)
			}
			st.Until = &until
		}
		until := *st.Until
		cont := func() bool { return r.expedited(step) || r.shouldContinue(ctx) }
		again, err := r.restFor(ctx, until.Sub(r.now()), "Wait until "+until.Format(time.RFC3339), cont)
		if err != nil {
			return "", r.cancelled(step, err)
		}
		if again && !r.expedited(step) {
			return "", errContinue
		}
		r.complete(step, OutcomeElapsed, nil, ActorSystem)
		r.note(JournalWaited, step.ID, "", ActorSystem, r.expediteDetail(step, map[string]any{"outcome": OutcomeElapsed, "until": until.Format(time.RFC3339)}))
		return "", nil
	}
	again := false
	has := func() bool {
		if r.pendingEvent(w.Event) >= 0 || r.expedited(step) {
			return true
		}
		again = r.shouldContinue(ctx)
		return again
	}
	received := true
	var err error
	resumed := r.resumable(step)
	if w.Timeout != nil {
		if !resumed || st.Until == nil {
			until, derr := r.prog.AddDuration(r.now(), *w.Timeout, false)
			if derr != nil {
				return "", r.fail(step, derr)
			}
			st.Until = ptr(until.UTC())
		}
		received, err = r.restFor(ctx, st.Until.Sub(r.now()), fmt.Sprintf("Wait for event %q (timeout)", w.Event), has)
	} else {
		err = r.rest(ctx, has)
	}
	if err != nil {
		return "", r.cancelled(step, err)
	}
	if again && r.pendingEvent(w.Event) < 0 && !r.expedited(step) {
		return "", errContinue
	}
	if r.pendingEvent(w.Event) < 0 && r.expedited(step) {
		received = false // an operator ended the wait: it times out now
	}
	if !received {
		r.complete(step, OutcomeTimeout, nil, ActorSystem)
		r.note(JournalWaited, step.ID, "", ActorSystem, r.expediteDetail(step, map[string]any{"outcome": OutcomeTimeout, "event": w.Event, "goto": w.OnTimeout}))
		if w.OnTimeout != "" && r.takeJump(step.ID, w.OnTimeout, step.MaxRounds, r.sequenceOf(step.ID)) {
			return w.OnTimeout, nil
		}
		return "", nil
	}
	i := r.pendingEvent(w.Event)
	e := &r.state.Events[i]
	e.Consumed = step.ID
	r.complete(step, OutcomeReceived, e.Data, e.By)
	r.note(JournalWaited, step.ID, "", e.By, map[string]any{"outcome": OutcomeReceived, "event": e.Name, "event_id": e.ID})
	return "", nil
}

// waitDeadline computes a timed wait's end.
func (r *run) waitDeadline(step *definitions.Step) (time.Time, error) {
	w := step.Wait
	if w.For != nil {
		t, err := r.prog.AddDuration(r.now(), *w.For, false)
		return t.UTC(), err
	}
	v, err := r.engine.Eval(r.prog, w.Until, r.vars(nil))
	if err != nil {
		return time.Time{}, fmt.Errorf("evaluate until: %w", err)
	}
	t, err := asTime(v)
	return t.UTC(), err
}

// cancelled marks a step cancelled when err is a cancellation, and fails it otherwise.
func (r *run) cancelled(step *definitions.Step, err error) error {
	if temporal.IsCanceledError(err) {
		r.stepState(step).Status = StepCancelled
		return err
	}
	return r.fail(step, err)
}

// pendingEvent returns the index of the first unconsumed event with the name, or -1.
func (r *run) pendingEvent(name string) int {
	for i := range r.state.Events {
		if e := &r.state.Events[i]; e.Name == name && e.Consumed == "" {
			return i
		}
	}
	return -1
}

// waitStepFor finds the wait step that takes events of the name.
func (r *run) waitStepFor(name string) *definitions.Step {
	var find func([]definitions.Step) *definitions.Step
	find = func(steps []definitions.Step) *definitions.Step {
		for i := range steps {
			if w := steps[i].Wait; w != nil && w.Event == name {
				return &steps[i]
			}
			for _, b := range steps[i].Branches {
				if s := find(b.Steps); s != nil {
					return s
				}
			}
		}
		return nil
	}
	return find(r.prog.Steps)
}

func (r *run) isDuplicateEvent(id string) bool {
	for i := range r.state.Events {
		if r.state.Events[i].ID == id {
			return true
		}
	}
	return false
}

// validateEvent checks an event before anything is written: the run must wait for
// events of that name somewhere, and the payload must fit the wait step's form.
func (r *run) validateEvent(req EventRequest) error {
	_, err := r.checkEvent(req)
	return err
}

func (r *run) checkEvent(req EventRequest) (map[string]any, error) {
	if req.ID == "" || req.Name == "" {
		return nil, temporal.NewNonRetryableApplicationError("an event needs an id and a name", ErrTypeBadRequest, nil)
	}
	if r.isDuplicateEvent(req.ID) {
		return nil, nil
	}
	step := r.waitStepFor(req.Name)
	if step == nil {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("this run waits for no event named %q", req.Name), ErrTypeBadRequest, nil)
	}
	data := req.Data
	if data == nil {
		data = map[string]any{}
	}
	clean, errs := r.engine.ValidateForm(r.prog, step.Form, data, r.vars(data))
	if len(errs) > 0 {
		return nil, invalidForm(errs)
	}
	return clean, nil
}

// handleEvent records an event (once per id) and answers once the run has moved on.
func (r *run) handleEvent(ctx workflow.Context, req EventRequest) (EventResult, error) {
	data, err := r.checkEvent(req)
	if err != nil {
		return EventResult{}, err
	}
	if r.isDuplicateEvent(req.ID) {
		return EventResult{Duplicate: true, Run: RunSummary{Status: r.state.Status, OpenTasks: slices.Clone(r.state.OpenTasks)}}, nil
	}
	r.state.Events = append(r.state.Events, Event{ID: req.ID, Name: req.Name, Data: data, By: req.Actor, At: r.now()})
	r.wake()
	run, err := r.answer(ctx)
	return EventResult{Run: run}, err
}
