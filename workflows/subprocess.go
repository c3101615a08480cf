package workflows

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
)

// LoadDefinitionRequest asks ActivityLoadDefinition for a published version (0 = latest).
type LoadDefinitionRequest struct {
	Key     string `json:"key"`
	Version int    `json:"version,omitempty"`
}

// LoadedDefinition is a published program and its version.
type LoadedDefinition struct {
	Program *definitions.Program `json:"program"`
	Version int                  `json:"version"`
}

// ActivityLoadDefinition reads a published definition for a subprocess.
const ActivityLoadDefinition = "LoadDefinition"

// execSubprocess starts a run of another definition as a child and waits for it. The
// child's outputs become the step's data and its outcome the step's outcome.
// Cancelling the parent cancels the child. From version 3 a failure — the definition
// is not published, an input does not evaluate, the child run failed — is a step failure
// that on_failure handles when the step has one, and the parent's cancel reason is
// passed on to the child.
func (r *run) execSubprocess(ctx workflow.Context, step *definitions.Step) (string, error) {
	if r.version < 3 {
		return "", r.execSubprocessV2(ctx, step)
	}
	return r.automate(ctx, step, func(ctx workflow.Context) (string, map[string]any, error) {
		return r.runChild(ctx, step)
	}, func(map[string]any) {})
}

// runChild loads the subprocess's definition, runs the child and returns its outcome
// and outputs (version 3).
func (r *run) runChild(ctx workflow.Context, step *definitions.Step) (string, map[string]any, error) {
	sp := step.Subprocess
	inputs := map[string]any{}
	for _, a := range sp.Inputs {
		v, err := r.engine.Eval(r.prog, a.Expr, r.vars(nil))
		if err != nil {
			return "", nil, fmt.Errorf("evaluate input %s: %w", a.Name, err)
		}
		inputs[a.Name] = v
	}
	def, err := r.loadDefinition(ctx, sp)
	if err != nil {
		return "", nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("the subprocess cannot start: %s", rootMessage(err)), ErrTypeStepFailed, nil)
	}
	childID := r.childID(step)
	// The child's context is not the parent's: when the parent is cancelled, the child is
	// told why before it is cancelled (cancelChild), which Temporal's own propagation cannot do.
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	cctx, cancelChild := workflow.WithCancel(dctx)
	child := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(cctx, r.childOptions(childID, def)), WorkflowName, RunInput{
		Program: def.Program, Version: def.Version, Inputs: inputs, StartedBy: r.state.StartedBy,
		Interpreter: InterpreterVersion,
	})
	r.stepState(step).Data = map[string]any{"run_id": childID}
	var result RunState
	err = r.restOn(ctx, func(ctx workflow.Context) error {
		r.takeSignals(ctx, child.IsReady)
		parentDone := false
		workflow.NewSelector(ctx).
			AddFuture(child, func(workflow.Future) {}).
			AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) { parentDone = true }).
			Select(ctx)
		if !parentDone {
			return child.Get(ctx, &result)
		}
		if err := child.SignalChildWorkflow(dctx, SignalCancelReason, r.childCancelNotice()).Get(dctx, nil); err != nil {
			workflow.GetLogger(r.ctx).Warn("tell the subprocess why it is cancelled", "child", childID, "error", err)
		}
		cancelChild()
		_ = child.Get(dctx, &result)
		return ctx.Err()
	})
	if err != nil {
		if temporal.IsCanceledError(err) {
			return "", nil, err
		}
		return "", nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("the subprocess %s failed: %s", childID, rootMessage(err)), ErrTypeStepFailed, nil)
	}
	data := map[string]any{}
	for _, k := range workflow.DeterministicKeys(result.Outputs) {
		data[k] = result.Outputs[k]
	}
	data["run_id"] = childID
	return result.Outcome, data, nil
}

// loadDefinition reads the published definition a subprocess starts.
func (r *run) loadDefinition(ctx workflow.Context, sp *definitions.Subprocess) (LoadedDefinition, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		Summary:             "Load definition " + sp.Definition,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5},
	})
	var def LoadedDefinition
	err := workflow.ExecuteActivity(actx, ActivityLoadDefinition, LoadDefinitionRequest{Key: sp.Definition, Version: sp.Version}).
		Get(actx, &def)
	return def, err
}

// childID names a subprocess's run after its parent and step (and the round, and the
// fix-it retry, when the step runs again).
func (r *run) childID(step *definitions.Step) string {
	st := r.stepState(step)
	id := fmt.Sprintf("%s.%s", r.state.ID, step.ID)
	if st.Round > 1 {
		id = fmt.Sprintf("%s.%d", id, st.Round)
	}
	if st.Fixes > 0 {
		id = fmt.Sprintf("%s.retry%d", id, st.Fixes)
	}
	return id
}

func (r *run) childOptions(childID string, def LoadedDefinition) workflow.ChildWorkflowOptions {
	return workflow.ChildWorkflowOptions{
		WorkflowID:          childID,
		ParentClosePolicy:   enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		WaitForCancellation: true,
		StaticSummary:       fmt.Sprintf("%s (subprocess of %s)", def.Program.Name, r.state.ID),
		TypedSearchAttributes: temporal.NewSearchAttributes(
			AttrDefinition.ValueSet(def.Program.Key), AttrVersion.ValueSet(int64(def.Version))),
	}
}

// execSubprocessV2 is execSubprocess of interpreter versions 1 and 2.
func (r *run) execSubprocessV2(ctx workflow.Context, step *definitions.Step) error {
	sp := step.Subprocess
	inputs := map[string]any{}
	for _, a := range sp.Inputs {
		v, err := r.engine.Eval(r.prog, a.Expr, r.vars(nil))
		if err != nil {
			return r.fail(step, fmt.Errorf("evaluate input %s: %w", a.Name, err))
		}
		inputs[a.Name] = v
	}
	def, err := r.loadDefinition(ctx, sp)
	if err != nil {
		return r.fail(step, fmt.Errorf("load definition %s: %w", sp.Definition, err))
	}
	childID := fmt.Sprintf("%s.%s", r.state.ID, step.ID)
	if round := r.stepState(step).Round; round > 1 {
		childID = fmt.Sprintf("%s.%d", childID, round)
	}
	cctx := workflow.WithChildOptions(ctx, r.childOptions(childID, def))
	child := workflow.ExecuteChildWorkflow(cctx, WorkflowName, RunInput{
		Program: def.Program, Version: def.Version, Inputs: inputs, StartedBy: r.state.StartedBy,
		Interpreter: InterpreterVersion,
	})
	r.stepState(step).Data = map[string]any{"run_id": childID}
	var result RunState
	err = r.restOn(ctx, func(ctx workflow.Context) error { return child.Get(ctx, &result) })
	if err != nil {
		if temporal.IsCanceledError(err) {
			return r.cancelled(step, err)
		}
		return r.fail(step, fmt.Errorf("subprocess %s: %w", childID, err))
	}
	data := map[string]any{}
	for _, k := range workflow.DeterministicKeys(result.Outputs) {
		data[k] = result.Outputs[k]
	}
	data["run_id"] = childID
	r.complete(step, result.Outcome, data, ActorSystem)
	return nil
}

// restOn waits for a future-like call, counting this coroutine as resting meanwhile.
func (r *run) restOn(ctx workflow.Context, wait func(workflow.Context) error) error {
	if err := r.flush(ctx); err != nil {
		return err
	}
	r.updateVisibility()
	r.busy--
	err := wait(ctx)
	r.busy++
	return err
}

// takeCancelNotices reads the cancel notices that have arrived. They are read only when
// they matter (a subprocess to cancel, the run's end), not by a coroutine of their own: a
// coroutine blocked on the channel would take a notice delivered in the same workflow
// task as the cancellation, and only run after the code that needs it.
func (r *run) takeCancelNotices() {
	ch := workflow.GetSignalChannel(r.ctx, SignalCancelReason)
	for {
		var n CancelNotice
		if !ch.ReceiveAsync(&n) {
			return
		}
		r.cancelNotice = &n
	}
}

// childCancelNotice says why a subprocess is being cancelled: the parent's own reason,
// or that the parallel branch holding it is no longer needed.
func (r *run) childCancelNotice() CancelNotice {
	r.takeCancelNotices()
	n := CancelNotice{ByRun: r.state.ID}
	switch {
	case r.ctx.Err() == nil:
		n.Reason = fmt.Sprintf("the parent run %s no longer needs it: its parallel step was joined without this branch", r.state.ID)
	case r.cancelNotice != nil:
		n.Reason, n.By = r.cancelNotice.Reason, r.cancelNotice.By
	default:
		n.Reason = fmt.Sprintf("the parent run %s was cancelled", r.state.ID)
	}
	return n
}

// recordCancellation keeps why the run was cancelled in its state and, for a
// subprocess, in its journal (a run's own cancellation request is in its history), and
// returns the cancellation carrying the reason to Temporal (version 3).
func (r *run) recordCancellation() error {
	r.takeCancelNotices()
	n := r.cancelNotice
	if n == nil {
		return temporal.NewCanceledError()
	}
	r.state.Cancellation = n
	if n.ByRun != "" {
		r.note(JournalCancelled, "", "", ActorSystem, map[string]any{"reason": n.Reason, "by": n.By, "by_run": n.ByRun})
	}
	return temporal.NewCanceledError(n.Reason)
}
