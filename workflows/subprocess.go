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
// Cancelling the parent cancels the child.
func (r *run) execSubprocess(ctx workflow.Context, step *definitions.Step) error {
	sp := step.Subprocess
	inputs := map[string]any{}
	for _, a := range sp.Inputs {
		v, err := r.engine.Eval(r.prog, a.Expr, r.vars(nil))
		if err != nil {
			return r.fail(step, fmt.Errorf("evaluate input %s: %w", a.Name, err))
		}
		inputs[a.Name] = v
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		Summary:             "Load definition " + sp.Definition,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5},
	})
	var def LoadedDefinition
	if err := workflow.ExecuteActivity(actx, ActivityLoadDefinition, LoadDefinitionRequest{Key: sp.Definition, Version: sp.Version}).
		Get(actx, &def); err != nil {
		return r.fail(step, fmt.Errorf("load definition %s: %w", sp.Definition, err))
	}
	childID := fmt.Sprintf("%s.%s", r.state.ID, step.ID)
	if round := r.stepState(step).Round; round > 1 {
		childID = fmt.Sprintf("%s.%d", childID, round)
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:          childID,
		ParentClosePolicy:   enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		WaitForCancellation: true,
		StaticSummary:       fmt.Sprintf("%s (subprocess of %s)", def.Program.Name, r.state.ID),
		TypedSearchAttributes: temporal.NewSearchAttributes(
			AttrDefinition.ValueSet(def.Program.Key), AttrVersion.ValueSet(int64(def.Version))),
	})
	child := workflow.ExecuteChildWorkflow(cctx, WorkflowName, RunInput{
		Program: def.Program, Version: def.Version, Inputs: inputs, StartedBy: r.state.StartedBy,
		Interpreter: InterpreterVersion,
	})
	r.stepState(step).Data = map[string]any{"run_id": childID}
	var result RunState
	err := r.restOn(ctx, func(ctx workflow.Context) error {
		r.takeSignals(ctx, child.IsReady)
		return child.Get(ctx, &result)
	})
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
