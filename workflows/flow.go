package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
)

// execSequence runs steps in order, following jumps within the sequence.
func (r *run) execSequence(ctx workflow.Context, steps []definitions.Step) error {
	top := r.depth(ctx) == 0
	i := 0
	if top {
		i = r.pos
	}
	for i < len(steps) {
		if top {
			r.pos = i
		}
		step := &steps[i]
		next, err := r.execStep(ctx, step)
		if err != nil {
			return err
		}
		if next == "" && step.Next != "" && r.takeJump(step.ID, step.Next, step.MaxRounds, steps) {
			next = step.Next
		}
		if next == "" {
			i++
			continue
		}
		j := indexOf(steps, next)
		if j < 0 {
			return r.fail(step, fmt.Errorf("jump to %q: no such step in this sequence", next))
		}
		i = j
	}
	return nil
}

// takeJump reports whether the jump from → to may be taken, counting it when it is.
// A jump back (to an earlier step or the same one) is a rework loop: it is taken at most
// maxRounds times per run, after which the flow goes on as if the jump were absent.
func (r *run) takeJump(from, to string, maxRounds int, steps []definitions.Step) bool {
	if indexOf(steps, to) > indexOf(steps, from) {
		return true
	}
	return r.takeRework(from, to, maxRounds)
}

// takeRework counts a rework jump (a send-back, whichever way it points) against its
// bound, reporting whether it may be taken.
func (r *run) takeRework(from, to string, maxRounds int) bool {
	key := from + ">" + to
	if r.jumps[key] >= maxRounds {
		return false
	}
	r.jumps[key]++
	return true
}

func indexOf(steps []definitions.Step, id string) int {
	for i := range steps {
		if steps[i].ID == id {
			return i
		}
	}
	return -1
}

// execStep runs one step, honouring its `when` guard, and returns the id of a step to
// jump to ("" to go on in order).
func (r *run) execStep(ctx workflow.Context, step *definitions.Step) (string, error) {
	st := r.stepState(step)
	if step.When != "" {
		ok, err := r.engine.EvalBool(r.prog, step.When, r.vars(nil))
		if err != nil {
			return "", r.fail(step, fmt.Errorf("evaluate when: %w", err))
		}
		if !ok {
			st.Status = StepSkipped
			r.note(JournalSkipped, step.ID, "", ActorSystem, map[string]any{"when": step.When})
			return "", nil
		}
	}
	if !r.resuming || st.Status != StepActive {
		st.Status = StepActive
		st.Round++
		st.StartedAt = ptr(r.now())
		st.Outcome, st.Data, st.CompletedBy, st.CompletedAt, st.Error, st.Until = "", nil, "", nil, "", nil
		st.Expedited = nil
	}
	switch step.Kind {
	case definitions.KindTask, definitions.KindApproval:
		return r.execHuman(ctx, step)
	case definitions.KindDecision:
		return r.execDecision(step)
	case definitions.KindSet:
		return "", r.execSet(step)
	case definitions.KindEnd:
		return "", r.execEnd(step)
	case definitions.KindParallel:
		return "", r.execParallel(ctx, step)
	case definitions.KindWait:
		return r.execWait(ctx, step)
	case definitions.KindHTTP:
		return r.execHTTP(ctx, step)
	case definitions.KindNotify:
		return r.execNotify(ctx, step)
	case definitions.KindSubprocess:
		return r.execSubprocess(ctx, step)
	}
	return "", r.fail(step, temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("step kind %q is not supported by this interpreter", step.Kind), ErrTypeUnsupported, nil))
}

// stepState returns the state entry of a step, creating it on first use.
func (r *run) stepState(step *definitions.Step) *StepState {
	if i, ok := r.stepIndex[step.ID]; ok {
		return &r.state.Steps[i]
	}
	r.stepIndex[step.ID] = len(r.state.Steps)
	r.state.Steps = append(r.state.Steps, StepState{ID: step.ID, Kind: string(step.Kind), Status: StepPending})
	return &r.state.Steps[len(r.state.Steps)-1]
}

// complete marks a step completed with its outcome and data.
func (r *run) complete(step *definitions.Step, outcome string, data map[string]any, by string) {
	st := r.stepState(step)
	st.Status = StepCompleted
	st.Outcome = outcome
	st.Data = data
	st.CompletedBy = by
	st.CompletedAt = ptr(r.now())
}

// execDecision routes by the first rule that holds, or the default. The matched rule
// is recorded in the step's data so the audit trail can say why the run went where it went.
func (r *run) execDecision(step *definitions.Step) (string, error) {
	vars := r.vars(nil)
	for i, rule := range step.Rules {
		ok, err := r.engine.EvalBool(r.prog, rule.When, vars)
		if err != nil {
			return "", r.fail(step, fmt.Errorf("evaluate rule %d (%s): %w", i+1, rule.When, err))
		}
		if !ok {
			continue
		}
		if !r.takeJump(step.ID, rule.Goto, rule.MaxRounds, r.sequenceOf(step.ID)) {
			continue // the rework bound is reached: the rule counts as not matching
		}
		data := map[string]any{"rule": float64(i + 1), "when": rule.When, "goto": rule.Goto}
		r.complete(step, rule.Goto, data, ActorSystem)
		r.note(JournalDecision, step.ID, "", ActorSystem, data)
		return rule.Goto, nil
	}
	data := map[string]any{"rule": "default", "goto": step.Default}
	r.complete(step, step.Default, data, ActorSystem)
	r.note(JournalDecision, step.ID, "", ActorSystem, data)
	return step.Default, nil
}

// execSet computes step data with CEL, each assignment seeing the ones before it.
func (r *run) execSet(step *definitions.Step) error {
	data := map[string]any{}
	r.stepState(step).Data = data
	for _, a := range step.Set {
		v, err := r.engine.Eval(r.prog, a.Expr, r.vars(nil))
		if err != nil {
			return r.fail(step, fmt.Errorf("evaluate %s: %w", a.Name, err))
		}
		data[a.Name] = v
	}
	r.complete(step, "", data, "")
	return nil
}

// execEnd ends the run with the step's outcome and outputs.
func (r *run) execEnd(step *definitions.Step) error {
	outputs := map[string]any{}
	for _, a := range step.Outputs {
		v, err := r.engine.Eval(r.prog, a.Expr, r.vars(nil))
		if err != nil {
			return r.fail(step, fmt.Errorf("evaluate output %s: %w", a.Name, err))
		}
		outputs[a.Name] = v
	}
	r.complete(step, step.Outcome, outputs, "")
	r.state.Outcome = step.Outcome
	r.state.Outputs = outputs
	return errEnd
}

// sequenceOf returns the sequence (top level or a branch) that holds the step.
func (r *run) sequenceOf(id string) []definitions.Step {
	if seq := findSequence(r.prog.Steps, id); seq != nil {
		return seq
	}
	return nil
}

func findSequence(steps []definitions.Step, id string) []definitions.Step {
	for i := range steps {
		if steps[i].ID == id {
			return steps
		}
		for _, b := range steps[i].Branches {
			if seq := findSequence(b.Steps, id); seq != nil {
				return seq
			}
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
