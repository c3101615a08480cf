package workflows

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
)

// Interpreter executes compiled definitions. Its Run method is the one workflow every
// Handoff run executes; the worker registers it under WorkflowName.
type Interpreter struct {
	engine *definitions.Engine
}

// NewInterpreter returns an interpreter evaluating expressions with engine.
func NewInterpreter(engine *definitions.Engine) *Interpreter {
	return &Interpreter{engine: engine}
}

// Run interprets input.Program until the run ends, and returns its final state.
func (in *Interpreter) Run(ctx workflow.Context, input RunInput) (RunState, error) {
	if input.Program == nil {
		return RunState{}, temporal.NewNonRetryableApplicationError("run input has no program", ErrTypeInvalidInput, nil)
	}
	r := newRun(ctx, in.engine, input)
	r.version = runVersion(ctx, input)
	if r.version >= 3 && input.Resume == nil {
		r.state.Summary = clipRunes(r.state.Summary, MaxTitleRunes) // rendered before the version was known
	}
	if err := r.registerHandlers(); err != nil {
		return r.state, err
	}
	err := r.execute(ctx)
	if errors.Is(err, errContinue) {
		return RunState{}, r.continueAsNew(ctx, input)
	}
	return r.finish(err)
}

// run is the interpreter's state for one workflow execution.
type run struct {
	ctx    workflow.Context // the root context: handlers, visibility
	engine *definitions.Engine
	prog   *definitions.Program
	state  RunState

	// stepIndex maps a step id to its position in state.Steps (lookups only, never iterated).
	stepIndex map[string]int
	// jumps counts how often each backward jump has been taken, keyed "from>to".
	jumps map[string]int
	// results holds the answer to each processed idempotency key.
	results map[string]CompleteResult
	// closing holds closed tasks not yet written to the inbox projection.
	closing []Task
	// journal holds audit entries not yet written (they ride along with the next write).
	journal []JournalEntry
	// finished holds closed tasks until the coroutine waiting for them takes them.
	finished map[string]Task
	// stopWatch cancels the deadline timers of an open task.
	stopWatch map[string]workflow.CancelFunc
	// waiters are the coroutines resting on a condition (see rest.go).
	waiters []*waiter
	// busy counts coroutines that are running rather than resting (waiting for people,
	// a timer or an event). Update handlers wait for it to reach 0 to answer with the
	// tasks the run opened next (see rest.go).
	busy int
	// projected is false until the run row has been written to the projection.
	projected bool
	// proj orders the projection writes (version 3, projection.go).
	proj projection
	// runErr is why the run failed, for the projection's words (set by finish).
	runErr error
	// version is the interpreter behaviour this run was started with (see version.go).
	version workflow.Version
	// pos is the index of the top-level step being executed; resuming is true until a
	// continued run has taken up the step it stopped at.
	pos       int
	resuming  bool
	continued int
	// continueAfter is RunInput.ContinueAsNewAfter.
	continueAfter int
	// signalling counts signalled completions whose actor is being looked up: the run
	// does not end or continue as new under them.
	signalling int
	// cancelNotice is the last CancelNotice read (SignalCancelReason, takeCancelNotices).
	cancelNotice *CancelNotice
	// lastOpenSteps, lastAssignees and lastOverdue are the search attribute values last upserted.
	lastOpenSteps, lastAssignees []string
	lastOverdue                  bool
}

// errEnd unwinds the run when an end step is reached.
var errEnd = errors.New("the run reached an end step")

func newRun(ctx workflow.Context, engine *definitions.Engine, input RunInput) *run {
	info := workflow.GetInfo(ctx)
	inputs := input.Inputs
	if inputs == nil {
		inputs = map[string]any{}
	}
	r := &run{
		ctx:       ctx,
		engine:    engine,
		prog:      input.Program,
		stepIndex: map[string]int{},
		jumps:     map[string]int{},
		results:   map[string]CompleteResult{},
		finished:  map[string]Task{},
		stopWatch: map[string]workflow.CancelFunc{},
		busy:      1,
		state: RunState{
			ID:          info.WorkflowExecution.ID,
			Definition:  input.Program.Key,
			Version:     input.Version,
			Status:      StatusRunning,
			BusinessKey: input.BusinessKey,
			StartedAt:   info.WorkflowStartTime.UTC(),
			StartedBy:   input.StartedBy,
			Inputs:      inputs,
			Steps:       []StepState{},
			OpenTasks:   []Task{},
		},
	}
	r.continueAfter = input.ContinueAsNewAfter
	if input.Resume != nil {
		r.resume(input.Resume)
		return r
	}
	r.state.Summary = r.render(input.Program.Summary, input.Program.Name)
	return r
}

// execute runs the top-level steps.
func (r *run) execute(ctx workflow.Context) error {
	err := r.execSequence(ctx, r.prog.Steps)
	if errors.Is(err, errEnd) {
		return nil
	}
	return err
}

// finish records the run's end in state and projection and waits for handlers.
func (r *run) finish(runErr error) (RunState, error) {
	now := r.now()
	r.state.CompletedAt = &now
	switch {
	case runErr == nil:
		r.state.Status = StatusCompleted
	case temporal.IsCanceledError(runErr):
		r.state.Status = StatusCancelled
		if r.version >= 3 {
			runErr = r.recordCancellation()
		}
	default:
		r.state.Status = StatusFailed
		r.state.Error = runErr.Error()
		r.runErr = runErr
		if r.version >= 3 {
			r.state.Error = rootMessage(runErr) // without Temporal's type and retry annotations
		}
	}
	// A cancelled run's context is done; its last writes go through a disconnected one.
	ctx, _ := workflow.NewDisconnectedContext(r.ctx)
	r.drainSignals(ctx)
	r.cancelOpenTasks(nil)
	if err := r.sync(ctx, InboxSync{}); err != nil && runErr == nil {
		runErr = err
	}
	r.updateVisibility()
	r.busy--
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && r.signalling == 0 })
	return r.state, runErr
}

// cancelOpenTasks moves open tasks (of the given steps, or all when steps is nil) to the
// closing list as cancelled.
func (r *run) cancelOpenTasks(steps map[string]bool) {
	kept := r.state.OpenTasks[:0:0]
	for _, t := range r.state.OpenTasks {
		if steps != nil && !steps[t.StepID] {
			kept = append(kept, t)
			continue
		}
		now := r.now()
		t.Status = TaskCancelled
		t.CompletedAt = &now
		r.closing = append(r.closing, t)
	}
	r.state.OpenTasks = kept
}

// vars is what CEL sees now; form is the data of a form being validated.
func (r *run) vars(form map[string]any) definitions.Vars {
	v := r.state.Vars(r.now(), form)
	// Version 3: the numeric model publish checks with (issue 13.1); runs started
	// before keep the one they were recorded with, so their histories replay.
	v.LegacyNumbers = r.version < 3
	return v
}

// Rendered texts are clipped from interpreter version 3: a template can repeat a value,
// so its output is not bounded by the API's limits on inputs and form data, and a run's
// state (titles, descriptions, summary) must stay small enough to be read and carried
// across continue-as-new (docs/operations.md#limits).
const (
	MaxTitleRunes       = 500   // a task's title, the run's summary
	MaxDescriptionRunes = 10000 // a task's description
)

// render renders a title or the summary (see renderText).
func (r *run) render(tmpl, fallback string) string {
	return r.renderText(tmpl, fallback, MaxTitleRunes)
}

// renderText renders a template, falling back to fallback when it is empty or fails
// (a broken title must not stop a run; the error is logged), clipped to max characters.
func (r *run) renderText(tmpl, fallback string, max int) string {
	out := fallback
	if tmpl != "" {
		var err error
		if out, err = r.engine.Render(r.prog, tmpl, r.vars(nil)); err != nil {
			workflow.GetLogger(r.ctx).Warn("render template", "template", tmpl, "error", err)
			out = fallback
		}
	}
	if r.version >= 3 {
		out = clipRunes(out, max)
	}
	return out
}

// clipRunes shortens s to at most max characters, the last one "…".
func clipRunes(s string, max int) string {
	n := 0
	for i := range s {
		if n == max-1 && utf8.RuneCountInString(s[i:]) > 1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// now is the workflow's deterministic current time in UTC.
func (r *run) now() time.Time { return workflow.Now(r.ctx).UTC() }

// fail wraps a step's error as the typed, non-retryable error that fails the run.
func (r *run) fail(step *definitions.Step, err error) error {
	st := r.stepState(step)
	st.Status = StepFailed
	st.Error = err.Error()
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) || temporal.IsCanceledError(err) {
		return err
	}
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("step %s: %v", step.ID, err), ErrTypeStepFailed, err)
}

// note adds an entry to the audit journal.
func (r *run) note(kind, step, task, actor string, detail map[string]any) {
	r.journal = append(r.journal, JournalEntry{At: r.now(), Kind: kind, Step: step, Task: task, Actor: actor, Detail: detail})
}
