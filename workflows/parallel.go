package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
)

// execParallel runs the step's branches concurrently and joins when all, any or a
// count of them complete. Branches left over when the join is met are cancelled:
// their open tasks are cancelled and leave the inboxes.
func (r *run) execParallel(ctx workflow.Context, step *definitions.Step) error {
	var branches []*definitions.Branch
	for i := range step.Branches {
		b := &step.Branches[i]
		if b.When != "" {
			ok, err := r.engine.EvalBool(r.prog, b.When, r.vars(nil))
			if err != nil {
				return r.fail(step, err)
			}
			if !ok {
				r.note(JournalBranch, step.ID, "", ActorSystem, map[string]any{"branch": b.ID, "when": b.When})
				continue
			}
		}
		branches = append(branches, b)
	}
	need := len(branches)
	switch step.Join {
	case "any":
		need = min(1, need)
	case "count":
		need = min(step.JoinCount, need)
	}

	bctx, cancel := workflow.WithCancel(workflow.WithValue(ctx, depthKey{}, r.depth(ctx)+1))
	defer cancel()
	var (
		completed []string
		ended     int
		failure   error
	)
	joined := func() bool { return failure != nil || len(completed) >= need || ended == len(branches) }
	for _, b := range branches {
		r.busy++
		workflow.Go(bctx, func(gctx workflow.Context) {
			err := r.execSequence(gctx, b.Steps)
			ended++
			switch {
			case err == nil:
				completed = append(completed, b.ID)
			case temporal.IsCanceledError(err):
			case failure == nil:
				failure = err
			}
			// A branch that ends while the join still waits for others leaves the run at
			// rest without a rest of its own (version 3): write what it closed now, or the
			// inbox would list its completed tasks as open until the join.
			if r.version >= 3 && failure == nil && !joined() {
				if err := r.flush(gctx); err != nil && !temporal.IsCanceledError(err) {
					failure = err
				}
			}
			r.wake()
			r.busy--
		})
	}
	if err := r.rest(ctx, joined); err != nil {
		return err
	}
	cancel()
	if err := r.rest(ctx, func() bool { return ended == len(branches) }); err != nil {
		return err
	}
	if failure != nil {
		return failure
	}
	ids := make([]any, len(completed))
	for i, id := range completed {
		ids[i] = id
	}
	r.complete(step, "joined", map[string]any{"completed_branches": ids}, "")
	return nil
}
