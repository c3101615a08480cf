// Package baseline holds hand-written Temporal workflows that do the same observable work
// as the benchmark definitions in bench/defs: the same activities with the same inputs
// (the inbox projection through workflows.ActivitySyncInbox, integrations through
// workflows.ActivityHTTP), the same human waits (an Update per task completion, with a
// validator, answering once the next tasks are in the inbox), the same timers, and the
// same search attributes and Temporal Web details. They are what a competent engineer
// would write by hand for each process, and they answer the same Update and payload
// types as the interpreter, so the API and the benchmark driver treat both alike.
package baseline

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/workflows"
)

// Input starts every hand-written workflow.
type Input struct {
	Owner     string `json:"owner"`
	Title     string `json:"title"`
	Sink      string `json:"sink,omitempty"`
	StartedBy string `json:"started_by"`
	Version   int    `json:"version"`
}

// flow is the state one hand-written run keeps: its open tasks, the tasks closed since
// the last inbox write, and whether the main coroutine is resting (waiting for people or
// a timer), which is when an Update may answer.
type flow struct {
	ctx       workflow.Context
	key       string
	in        Input
	id        string
	started   time.Time
	status    string
	open      []workflows.Task
	closing   []workflows.Task
	closed    map[string]workflows.Task
	results   map[string]workflows.CompleteResult
	required  map[string][]string // task id → required form fields
	resting   bool
	projected bool

	lastSteps, lastAssignees []string
	lastOverdue              bool
}

func newFlow(ctx workflow.Context, key string, in Input) (*flow, error) {
	info := workflow.GetInfo(ctx)
	f := &flow{ctx: ctx, key: key, in: in, id: info.WorkflowExecution.ID, started: info.WorkflowStartTime.UTC(),
		status: workflows.StatusRunning, closed: map[string]workflows.Task{},
		results: map[string]workflows.CompleteResult{}, required: map[string][]string{}}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, workflows.UpdateComplete, f.complete,
		workflow.UpdateHandlerOptions{Validator: f.validate}); err != nil {
		return nil, fmt.Errorf("register complete: %w", err)
	}
	if err := workflow.SetUpdateHandler(ctx, workflows.UpdateSettle, f.settle); err != nil {
		return nil, fmt.Errorf("register settle: %w", err)
	}
	return f, nil
}

func (f *flow) now() time.Time { return workflow.Now(f.ctx).UTC() }

// task builds an open task of this run for the owner.
func (f *flow) task(step, kind, title string, form []definitions.Field, outcomes ...string) workflows.Task {
	if form == nil {
		form = []definitions.Field{}
	}
	if len(outcomes) == 0 {
		outcomes = []string{workflows.OutcomeCompleted}
	}
	var required []string
	for _, fd := range form {
		if fd.Required {
			required = append(required, fd.ID)
		}
	}
	id := f.id + "." + step
	f.required[id] = required
	return workflows.Task{ID: id, RunID: f.id, StepID: step, Definition: f.key, Kind: kind, Title: title,
		Status: workflows.TaskOpen, Assignees: []string{f.in.Owner}, CandidateGroups: []string{}, Form: form,
		Outcomes: outcomes, RequiredVotes: 1, CreatedAt: f.now()}
}

// validate rejects a completion before anything is written to history.
func (f *flow) validate(req workflows.CompleteRequest) error {
	if _, ok := f.results[req.IdempotencyKey]; ok && req.IdempotencyKey != "" {
		return nil
	}
	t := f.openTask(req.TaskID)
	if t == nil {
		return temporal.NewNonRetryableApplicationError("task "+req.TaskID+" is not open", workflows.ErrTypeTaskNotOpen, nil)
	}
	if !req.Admin && !slices.Contains(t.Assignees, req.Actor) {
		return temporal.NewNonRetryableApplicationError(req.Actor+" may not complete "+t.ID, workflows.ErrTypeNotEligible, nil)
	}
	var errs []definitions.FieldError
	if (req.Outcome != "" || t.Kind == "approval") && !slices.Contains(t.Outcomes, req.Outcome) {
		errs = append(errs, definitions.FieldError{Field: "outcome", Message: fmt.Sprintf("must be one of %v", t.Outcomes)})
	}
	for _, name := range f.required[t.ID] {
		if v, ok := req.Data[name]; !ok || v == nil || v == "" {
			errs = append(errs, definitions.FieldError{Field: name, Message: "is required"})
		}
	}
	if len(errs) > 0 {
		return temporal.NewApplicationErrorWithOptions("the form data is invalid", workflows.ErrTypeInvalidForm,
			temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{errs}})
	}
	return nil
}

// complete closes the task and answers once the run has written its next tasks.
func (f *flow) complete(ctx workflow.Context, req workflows.CompleteRequest) (workflows.CompleteResult, error) {
	if res, ok := f.results[req.IdempotencyKey]; ok && req.IdempotencyKey != "" {
		return res, nil
	}
	if err := f.validate(req); err != nil {
		return workflows.CompleteResult{}, err
	}
	i := slices.IndexFunc(f.open, func(t workflows.Task) bool { return t.ID == req.TaskID })
	t := f.open[i]
	f.open = slices.Delete(f.open, i, i+1)
	t.Status, t.Outcome, t.Comment, t.CompletedBy = workflows.TaskCompleted, req.Outcome, req.Comment, req.Actor
	if t.Outcome == "" {
		t.Outcome = t.Outcomes[0]
	}
	now := f.now()
	t.CompletedAt, t.Data = &now, req.Data
	f.closing = append(f.closing, t)
	f.closed[t.ID] = t
	f.resting = false // the main coroutine waits for this task: it runs next
	if err := workflow.Await(ctx, func() bool { return f.resting }); err != nil {
		return workflows.CompleteResult{}, err
	}
	res := workflows.CompleteResult{Task: t, Run: f.summary()}
	if req.IdempotencyKey != "" {
		f.results[req.IdempotencyKey] = res
	}
	return res, nil
}

// settle answers once the run rests, with its open tasks.
func (f *flow) settle(ctx workflow.Context) (workflows.RunSummary, error) {
	err := workflow.Await(ctx, func() bool { return f.resting })
	return f.summary(), err
}

func (f *flow) summary() workflows.RunSummary {
	return workflows.RunSummary{Status: f.status, OpenTasks: slices.Clone(f.open)}
}

func (f *flow) openTask(id string) *workflows.Task {
	for i := range f.open {
		if f.open[i].ID == id {
			return &f.open[i]
		}
	}
	return nil
}

// currentDetails is the Markdown Temporal Web shows.
func (f *flow) currentDetails() string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** · %s\n\n", f.status, f.in.Title)
	if len(f.open) == 0 {
		b.WriteString("No open tasks.\n")
		return b.String()
	}
	b.WriteString("| open task | assignees | due |\n|---|---|---|\n")
	for _, t := range f.open {
		due := "—"
		if t.DueAt != nil {
			due = t.DueAt.Format("2006-01-02 15:04 MST")
		}
		fmt.Fprintf(&b, "| %s (`%s`) | %s | %s |\n", t.Title, t.StepID, strings.Join(t.Assignees, ", "), due)
	}
	return b.String()
}
