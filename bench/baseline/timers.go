package baseline

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/workflows"
)

// sleep waits one second, resting meanwhile; the run row is written first if it is not yet.
func (f *flow) sleep(ctx workflow.Context, step string) error {
	if !f.projected {
		if err := f.sync(ctx, nil, nil); err != nil {
			return err
		}
	}
	f.rest()
	until := f.now().Add(time.Second)
	timer := workflow.NewTimerWithOptions(ctx, time.Second,
		workflow.TimerOptions{Summary: "Wait until " + until.Format(time.RFC3339)})
	err := timer.Get(ctx, nil)
	f.resting = false
	return err
}

// Timer is bench-timer: a one-second wait, then a task due in two seconds with a
// reminder one second before it is due.
func Timer(ctx workflow.Context, in Input) (workflows.RunSummary, error) {
	f, err := newFlow(ctx, "bench-timer", in)
	if err != nil {
		return workflows.RunSummary{}, err
	}
	if err := f.sleep(ctx, "pause"); err != nil {
		return f.summary(), err
	}
	t := f.task("sign", "task", "Sign "+in.Title, nil)
	due := f.now().Add(2 * time.Second)
	t.DueAt = &due
	if err := f.openTasks(ctx, t); err != nil {
		return f.summary(), err
	}
	wctx, stop := workflow.WithCancel(ctx)
	workflow.Go(wctx, func(ctx workflow.Context) { f.watch(ctx, t.ID, due) })
	if _, err := f.await(ctx, t.ID); err != nil {
		return f.summary(), err
	}
	stop()
	return f.summary(), f.finish(ctx)
}

// watch sends the reminder one second before the due date, then marks the task overdue
// and tells its assignees, unless the task closes first.
func (f *flow) watch(ctx workflow.Context, id string, due time.Time) {
	steps := []struct {
		at      time.Time
		event   string
		summary string
	}{
		{due.Add(-time.Second), workflows.EventTaskReminder, "Remind about: "},
		{due, workflows.EventTaskOverdue, "Due: "},
	}
	for _, s := range steps {
		t := f.openTask(id)
		if t == nil {
			return
		}
		timer := workflow.NewTimerWithOptions(ctx, s.at.Sub(f.now()), workflow.TimerOptions{Summary: s.summary + t.Title})
		if timer.Get(ctx, nil) != nil {
			return // the task closed
		}
		if t = f.openTask(id); t == nil {
			return
		}
		if s.event == workflows.EventTaskOverdue {
			t.Overdue = true
		}
		n := workflows.Notification{Event: s.event, TaskID: t.ID, Title: t.Title, Users: t.Assignees}
		if err := f.sync(ctx, nil, []workflows.Notification{n}); err != nil {
			workflow.GetLogger(ctx).Error("queue notification", "task", id, "error", err)
		}
		if s.event == workflows.EventTaskOverdue {
			f.visibility()
		}
	}
}

// HTTP is bench-http: a request, a call to the ticketing sink whose answer is saved,
// then a confirmation naming the ticket.
func HTTP(ctx workflow.Context, in Input) (workflows.RunSummary, error) {
	f, err := newFlow(ctx, "bench-http", in)
	if err != nil {
		return workflows.RunSummary{}, err
	}
	req := f.task("request", "task", "Request "+in.Title, []definitions.Field{{ID: "note", Label: "Note", Type: definitions.TypeText, Required: true}})
	if err := f.openTasks(ctx, req); err != nil {
		return f.summary(), err
	}
	done, err := f.await(ctx, req.ID)
	if err != nil {
		return f.summary(), err
	}
	call := workflows.HTTPRequest{RunID: f.id, StepID: "call", Method: "POST", URL: in.Sink,
		Body:           map[string]any{"note": done.Data["note"], "title": in.Title},
		IdempotencyKey: f.id + "/call/1"}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 35 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 3, InitialInterval: 10 * time.Second,
			BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute},
		Summary: "POST " + in.Sink,
	})
	var res workflows.HTTPResponse
	if err := workflow.ExecuteActivity(actx, workflows.ActivityHTTP, call).Get(actx, &res); err != nil {
		return f.summary(), fmt.Errorf("call the ticketing system: %w", err)
	}
	body, _ := res.Body.(map[string]any)
	confirm := f.task("confirm", "task", fmt.Sprintf("Confirm ticket %v", body["id"]), nil)
	if err := f.openTasks(ctx, confirm); err != nil {
		return f.summary(), err
	}
	if _, err := f.await(ctx, confirm.ID); err != nil {
		return f.summary(), err
	}
	return f.summary(), f.finish(ctx)
}
