package baseline

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/workflows"
)

// Names the hand-written workflows are registered under, beside workflows.WorkflowName.
const (
	LinearName   = "BaselineLinear"
	DecisionName = "BaselineDecision"
	FanOutName   = "BaselineFanOut"
	TimerName    = "BaselineTimer"
	HTTPName     = "BaselineHTTP"
	HookName     = "BaselineHook"
)

// Registry is what Register needs: a worker or a replayer.
type Registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Register registers every hand-written workflow.
func Register(r Registry) {
	for name, fn := range map[string]any{LinearName: Linear, DecisionName: Decision, FanOutName: FanOut,
		TimerName: Timer, HTTPName: HTTP, HookName: Hook} {
		r.RegisterWorkflowWithOptions(fn, workflow.RegisterOptions{Name: name})
	}
}

var noteForm = []definitions.Field{
	{ID: "note", Label: "Note", Type: definitions.TypeText, Required: true, Max: ptr(200.0)},
	{ID: "amount", Label: "Amount", Type: definitions.TypeNumber, Min: ptr(0.0)},
}

// Linear is bench-linear: five tasks in a row.
func Linear(ctx workflow.Context, in Input) (workflows.RunSummary, error) {
	f, err := newFlow(ctx, "bench-linear", in)
	if err != nil {
		return workflows.RunSummary{}, err
	}
	for i := 1; i <= 5; i++ {
		t := f.task(fmt.Sprintf("s%d", i), "task", fmt.Sprintf("Step %d of %s", i, in.Title), noteForm)
		if err := f.openTasks(ctx, t); err != nil {
			return f.summary(), err
		}
		if _, err := f.await(ctx, t.ID); err != nil {
			return f.summary(), err
		}
	}
	return f.summary(), f.finish(ctx)
}

// Decision is bench-decision: a request, then a manager task or, above 1000, a
// director approval.
func Decision(ctx workflow.Context, in Input) (workflows.RunSummary, error) {
	f, err := newFlow(ctx, "bench-decision", in)
	if err != nil {
		return workflows.RunSummary{}, err
	}
	req := f.task("request", "task", "Request "+in.Title,
		[]definitions.Field{{ID: "amount", Label: "Amount", Type: definitions.TypeNumber, Required: true, Min: ptr(0.0)}})
	if err := f.openTasks(ctx, req); err != nil {
		return f.summary(), err
	}
	done, err := f.await(ctx, req.ID)
	if err != nil {
		return f.summary(), err
	}
	next := f.task("manager", "task", "Manager check of "+in.Title, nil)
	if amount, _ := done.Data["amount"].(float64); amount > 1000 {
		next = f.task("director", "approval", "Director approval of "+in.Title, nil,
			definitions.OutcomeApproved, definitions.OutcomeRejected)
		next.Policy = "any"
	}
	if err := f.openTasks(ctx, next); err != nil {
		return f.summary(), err
	}
	if _, err := f.await(ctx, next.ID); err != nil {
		return f.summary(), err
	}
	return f.summary(), f.finish(ctx)
}

// FanOut is bench-fanout: five reviews at once, joined when all are done. Each
// completion is written to the inbox before its Update answers.
func FanOut(ctx workflow.Context, in Input) (workflows.RunSummary, error) {
	f, err := newFlow(ctx, "bench-fanout", in)
	if err != nil {
		return workflows.RunSummary{}, err
	}
	var tasks []workflows.Task
	for i := 1; i <= 5; i++ {
		tasks = append(tasks, f.task(fmt.Sprintf("r%d", i), "task", fmt.Sprintf("Review %d of %s", i, in.Title), nil))
	}
	if err := f.openTasks(ctx, tasks...); err != nil {
		return f.summary(), err
	}
	for len(f.closed) < len(tasks) {
		if err := workflow.Await(ctx, func() bool { return len(f.closing) > 0 }); err != nil {
			return f.summary(), err
		}
		if len(f.closed) == len(tasks) {
			break
		}
		if err := f.openTasks(ctx); err != nil {
			return f.summary(), err
		}
	}
	return f.summary(), f.finish(ctx)
}

// Hook is bench-hook: a one-second wait, then the run ends.
func Hook(ctx workflow.Context, in Input) (workflows.RunSummary, error) {
	f, err := newFlow(ctx, "bench-hook", in)
	if err != nil {
		return workflows.RunSummary{}, err
	}
	if err := f.sleep(ctx, "pause"); err != nil {
		return f.summary(), err
	}
	return f.summary(), f.finish(ctx)
}

func ptr[T any](v T) *T { return &v }
