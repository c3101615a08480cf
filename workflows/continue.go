package workflows

import (
	"errors"

	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
)

// A run that lives for months continues as new before its history grows too long:
// when Temporal suggests it (or at RunInput.ContinueAsNewAfter events, for tests), at
// a point where the top-level sequence waits for a person or a timer. The new
// execution keeps the same workflow id and carries everything that matters: the
// state (open tasks with their absolute deadlines and what has fired, step data,
// delivered events), where the run stands, the rework counters, the answers to
// processed idempotency keys, and closed tasks their step has not taken yet.

// Resume is what a run carries into its next execution.
type Resume struct {
	State    RunState                  `json:"state"`
	Pos      int                       `json:"pos"`
	Jumps    map[string]int            `json:"jumps,omitempty"`
	Results  map[string]CompleteResult `json:"results,omitempty"`
	Finished map[string]Task           `json:"finished,omitempty"`
	// Attrs are the search attribute values last upserted; Temporal carries the
	// attributes themselves.
	OpenSteps []string `json:"open_steps,omitempty"`
	Assignees []string `json:"assignees,omitempty"`
	Overdue   bool     `json:"overdue,omitempty"`
	// Continued counts the executions so far.
	Continued int `json:"continued"`
	// SyncSeq is the number of the last ordered inbox write (version 3, projection.go).
	SyncSeq int64 `json:"sync_seq,omitempty"`
}

// errContinue unwinds the run so it can continue as new.
var errContinue = errors.New("continue as new")

// resume restores a carried run.
func (r *run) resume(c *Resume) {
	r.state = c.State
	for i := range r.state.Steps {
		r.stepIndex[r.state.Steps[i].ID] = i
	}
	r.pos = c.Pos
	r.resuming = true
	r.continued = c.Continued
	r.proj.seq = c.SyncSeq
	r.projected = true
	if c.Jumps != nil {
		r.jumps = c.Jumps
	}
	if c.Results != nil {
		r.results = c.Results
	}
	if c.Finished != nil {
		r.finished = c.Finished
	}
	r.lastOpenSteps, r.lastAssignees, r.lastOverdue = c.OpenSteps, c.Assignees, c.Overdue
}

// resumable reports whether the step is the one a carried run stopped at, with its
// task or timer still in the state (so it must be taken up rather than started again).
func (r *run) resumable(step *definitions.Step) bool {
	if !r.resuming {
		return false
	}
	r.resuming = false
	i, ok := r.stepIndex[step.ID]
	return ok && r.state.Steps[i].Status == StepActive
}

// shouldContinue reports whether the run should continue as new at this rest point:
// only the top-level sequence continues, never inside parallel branches.
func (r *run) shouldContinue(ctx workflow.Context) bool {
	if r.depth(ctx) != 0 {
		return false
	}
	info := workflow.GetInfo(ctx)
	if r.continueAfter > 0 && info.GetCurrentHistoryLength() >= r.continueAfter {
		return true
	}
	return info.GetContinueAsNewSuggested()
}

// depth is 0 for the top-level sequence and more inside parallel branches.
func (r *run) depth(ctx workflow.Context) int {
	d, _ := ctx.Value(depthKey{}).(int)
	return d
}

type depthKey struct{}

// continueAsNew finishes in-flight handlers, drains signals, writes the projection and
// returns the error that starts the next execution.
func (r *run) continueAsNew(ctx workflow.Context, input RunInput) error {
	r.busy--
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && r.signalling == 0 }); err != nil {
		return err
	}
	r.drainSignals(ctx)
	if err := r.flush(ctx); err != nil {
		return err
	}
	r.busy++
	next := input
	next.Inputs = nil
	next.Interpreter = InterpreterVersion // each execution follows the code that starts it
	next.Resume = &Resume{
		State: r.state, Pos: r.pos, Jumps: r.jumps, Results: r.results, Finished: r.finished,
		OpenSteps: r.lastOpenSteps, Assignees: r.lastAssignees, Overdue: r.lastOverdue,
		Continued: r.continued + 1, SyncSeq: r.proj.seq,
	}
	return workflow.NewContinueAsNewError(ctx, WorkflowName, next)
}
