package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/handoffhq/handoff/bench/baseline"
	"github.com/handoffhq/handoff/workflows"
)

// Side names which form of a process runs: A, the interpreter, or B, the hand-written workflow.
type side bool

const (
	interpreted side = true
	handWritten side = false
)

func (sd side) String() string {
	if sd == interpreted {
		return "interpreted"
	}
	return "baseline"
}

// driver starts runs and completes their tasks through the Temporal SDK client, exactly
// as the API does (UpdateWithStart of the settle Update; the complete Update), for both
// forms alike.
type driver struct {
	s   *stack
	seq atomic.Int64
}

// run is a run the driver is driving.
type run struct {
	id     string
	owner  string
	status string
	open   []workflows.Task
}

// start starts a run of the scenario and returns it once it has opened its first tasks.
func (d *driver) start(ctx context.Context, sc *scenario, sd side, owner string) (run, error) {
	id := fmt.Sprintf("%s-%s-%d", sc.key(), sd, d.seq.Add(1))
	opts, name, input := d.startArgs(sc, sd, owner, id)
	op := d.s.tc.NewWithStartWorkflowOperation(opts, name, input)
	h, err := d.s.tc.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions:          client.UpdateWorkflowOptions{UpdateName: workflows.UpdateSettle, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		return run{}, fmt.Errorf("start %s run %s: %w", sd, id, err)
	}
	var sum workflows.RunSummary
	if err := h.Get(ctx, &sum); err != nil {
		return run{}, fmt.Errorf("settle %s run %s: %w", sd, id, err)
	}
	return run{id: id, owner: owner, status: sum.Status, open: sum.OpenTasks}, nil
}

// startArgs are the start options, workflow name and input of a run, built as the API
// builds them for the interpreter.
func (d *driver) startArgs(sc *scenario, sd side, owner, id string) (client.StartWorkflowOptions, string, any) {
	title := "Order " + id
	inputs := map[string]any{"owner": owner, "title": title}
	if sc.name == "http" {
		inputs["sink"] = d.s.sink.url
	}
	opts := client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.AttrDefinition.ValueSet(sc.key()),
			workflows.AttrVersion.ValueSet(1)),
		StaticSummary: sc.prog.Name + ": " + title,
		StaticDetails: fmt.Sprintf("%s · version 1 · started by %s", sc.prog.Name, owner),
	}
	if sd == interpreted {
		return opts, workflows.WorkflowName, workflows.RunInput{Program: sc.prog, Version: 1, Inputs: inputs, StartedBy: owner,
			Interpreter: workflows.InterpreterVersion}
	}
	return opts, sc.baseline, baseline.Input{Owner: owner, Title: title, Sink: d.s.sink.url, StartedBy: owner, Version: 1}
}

// complete completes the run's first open task with the scenario's answer.
func (d *driver) complete(ctx context.Context, sc *scenario, r *run) error {
	t, ok := firstOpen(r.open)
	if !ok {
		return fmt.Errorf("run %s has no open task", r.id)
	}
	if sc.before != nil {
		if err := sc.before(ctx, d.s, r.id); err != nil {
			return err
		}
	}
	data, outcome := sc.answer(t.StepID)
	h, err := d.s.tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: r.id, UpdateName: workflows.UpdateComplete, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.CompleteRequest{TaskID: t.ID, Actor: r.owner, Data: data, Outcome: outcome}},
	})
	if err != nil {
		return fmt.Errorf("complete %s: %w", t.ID, err)
	}
	var res workflows.CompleteResult
	if err := h.Get(ctx, &res); err != nil {
		return fmt.Errorf("complete %s: %w", t.ID, err)
	}
	r.status, r.open = res.Run.Status, res.Run.OpenTasks
	return nil
}

// awaitInbox waits until the run has an open task in the inbox projection.
func (d *driver) awaitInbox(ctx context.Context, runID string) ([]workflows.Task, error) {
	var open []workflows.Task
	err := poll(ctx, 30*time.Second, "a task of "+runID, func() (bool, error) {
		rows, err := d.s.db.Pool().Query(ctx, `SELECT id, step_id FROM tasks WHERE run_id = $1 AND status = 'open' ORDER BY id`, runID)
		if err != nil {
			return false, err
		}
		defer rows.Close()
		for rows.Next() {
			var t workflows.Task
			if err := rows.Scan(&t.ID, &t.StepID); err != nil {
				return false, err
			}
			open = append(open, t)
		}
		return len(open) > 0, rows.Err()
	})
	return open, err
}

// drive runs one run of the scenario to its end and returns its id and the number of
// tasks completed.
func (d *driver) drive(ctx context.Context, sc *scenario, sd side, owner string) (string, int, error) {
	r, err := d.start(ctx, sc, sd, owner)
	if err != nil {
		return "", 0, err
	}
	steps := 0
	for r.status == workflows.StatusRunning {
		if len(r.open) == 0 {
			// The run rests on a timer: its next task shows up in the inbox.
			if r.open, err = d.awaitInbox(ctx, r.id); err != nil {
				return r.id, steps, err
			}
		}
		if err := d.complete(ctx, sc, &r); err != nil {
			return r.id, steps, err
		}
		steps++
	}
	if r.status != workflows.StatusCompleted {
		return r.id, steps, fmt.Errorf("run %s ended %s", r.id, r.status)
	}
	return r.id, steps, nil
}
