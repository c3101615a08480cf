// Package minimal holds the least Temporal code that does the business steps of the
// benchmark definitions of section P (bench/defs: set3, human, linear, fanout10): the
// same computations, the same people asked for the same form data, validated the same
// way, and nothing else — no inbox projection, no search attributes, no run state, no
// Temporal Web details, no audit journal. It answers what Handoff costs over writing
// the process by hand with nothing around it (issue 18); bench/baseline answers what
// the interpreter costs over hand-written code doing all of Handoff's observable work.
package minimal

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Names the workflows are registered under, and the one Update that completes a task.
const (
	Set3Name     = "MinimalSet3"
	HumanName    = "MinimalHuman"
	LinearName   = "MinimalLinear"
	FanOut10Name = "MinimalFanOut10"

	UpdateComplete = "complete"
)

// Input starts every minimal workflow.
type Input struct {
	Owner string `json:"owner"`
	Title string `json:"title"`
}

// Completion completes the task of a step with form data.
type Completion struct {
	Step  string         `json:"step"`
	Actor string         `json:"actor"`
	Data  map[string]any `json:"data,omitempty"`
}

// Registry is what Register needs: a worker or a replayer.
type Registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Register registers every minimal workflow.
func Register(r Registry) {
	r.RegisterWorkflowWithOptions(Set3, workflow.RegisterOptions{Name: Set3Name})
	r.RegisterWorkflowWithOptions(Human, workflow.RegisterOptions{Name: HumanName})
	r.RegisterWorkflowWithOptions(Linear, workflow.RegisterOptions{Name: LinearName})
	r.RegisterWorkflowWithOptions(FanOut10, workflow.RegisterOptions{Name: FanOut10Name})
}

// Set3 is bench-set3: three computed values, each from the one before.
func Set3(_ workflow.Context, in Input) (map[string]any, error) {
	greeting := "Hello " + in.Title
	text := greeting + "!"
	return map[string]any{"greeting": greeting, "text": text, "length": utf8.RuneCountInString(text)}, nil
}

// Human is bench-human: the owner reviews with a note and an optional amount.
func Human(ctx workflow.Context, in Input) (map[string]map[string]any, error) {
	p := newPeople(in.Owner)
	return p.data, p.ask(ctx, noteForm, "review")
}

// Linear is bench-linear: five such tasks in a row.
func Linear(ctx workflow.Context, in Input) (map[string]map[string]any, error) {
	p := newPeople(in.Owner)
	for i := 1; i <= 5; i++ {
		if err := p.ask(ctx, noteForm, fmt.Sprintf("s%d", i)); err != nil {
			return nil, err
		}
	}
	return p.data, nil
}

// FanOut10 is bench-fanout10: ten reviews at once, joined when all are done.
func FanOut10(ctx workflow.Context, in Input) (map[string]map[string]any, error) {
	p := newPeople(in.Owner)
	steps := make([]string, 10)
	for i := range steps {
		steps[i] = fmt.Sprintf("r%d", i+1)
	}
	return p.data, p.ask(ctx, nil, steps...)
}

// form checks the data of a task: a message per field at fault.
type form func(data map[string]any) []string

// noteForm is `note` (text, required, at most 200 characters) and `amount` (a number
// of at least 0), as in bench/defs.
func noteForm(data map[string]any) []string {
	var errs []string
	note, _ := data["note"].(string)
	if strings.TrimSpace(note) == "" {
		errs = append(errs, "note: is required")
	} else if utf8.RuneCountInString(note) > 200 {
		errs = append(errs, "note: must be at most 200 characters")
	}
	if v, ok := data["amount"]; ok && v != nil {
		if n, ok := v.(float64); !ok || n < 0 {
			errs = append(errs, "amount: must be a number of at least 0")
		}
	}
	return errs
}

// people is the owner's open tasks and the data of those done.
type people struct {
	owner  string
	open   map[string]form // step → its form (nil: no fields)
	data   map[string]map[string]any
	asking bool // the complete Update is registered
}

func newPeople(owner string) *people {
	return &people{owner: owner, open: map[string]form{}, data: map[string]map[string]any{}}
}

func (p *people) validate(c Completion) error {
	f, ok := p.open[c.Step]
	switch {
	case !ok:
		return temporal.NewNonRetryableApplicationError("step "+c.Step+" has no open task", "TaskNotOpen", nil)
	case c.Actor != p.owner:
		return temporal.NewNonRetryableApplicationError(c.Actor+" may not complete "+c.Step, "NotEligible", nil)
	case f != nil:
		if errs := f(c.Data); len(errs) > 0 {
			return temporal.NewNonRetryableApplicationError(strings.Join(errs, "; "), "InvalidForm", nil)
		}
	}
	return nil
}

// ask opens a task for each step and waits until all are done. The complete Update is
// registered once the first tasks are open, so that one sent before the run's first
// workflow task (the SDK holds it until a handler exists) finds its task; it is
// validated (the step is open, the actor is the owner, the form data is valid) before
// anything is written to history.
func (p *people) ask(ctx workflow.Context, f form, steps ...string) error {
	for _, s := range steps {
		p.open[s] = f
	}
	if !p.asking {
		p.asking = true
		err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateComplete, func(_ workflow.Context, c Completion) error {
			delete(p.open, c.Step)
			p.data[c.Step] = c.Data
			return nil
		}, workflow.UpdateHandlerOptions{Validator: p.validate})
		if err != nil {
			return err
		}
	}
	return workflow.Await(ctx, func() bool {
		return !slices.ContainsFunc(steps, func(s string) bool { _, open := p.open[s]; return open })
	})
}
