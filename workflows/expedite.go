package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
)

// An operator may end a wait early — a probation period that is over, a vendor known not
// to send documents — with UpdateExpedite (POST /v1/runs/{id}/steps/{step}/expedite,
// admins). The wait goes on as if its time had come: a timed wait elapses, an event
// wait times out (taking on_timeout). Who, when and why are kept in the step's state and
// the audit trail (wait.expedited). Runs on interpreter version 3 and later.

// ExpediteRequest ends a wait step's timer now.
type ExpediteRequest struct {
	Step   string `json:"step"`
	Reason string `json:"reason"`
	Actor  string `json:"actor"`
}

// Expedite records who ended a wait early, when and why.
type Expedite struct {
	By     string    `json:"by"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// validateExpedite refuses before anything is written: the step must be a wait with a
// deadline that the run is resting on now.
func (r *run) validateExpedite(req ExpediteRequest) error {
	_, err := r.checkExpedite(req)
	return err
}

func (r *run) checkExpedite(req ExpediteRequest) (*StepState, error) {
	bad := func(format string, args ...any) error {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrTypeBadRequest, nil)
	}
	if r.version < 3 {
		return nil, bad("this run follows interpreter version %d, which cannot expedite a wait", r.version)
	}
	if req.Actor == "" || strings.TrimSpace(req.Reason) == "" {
		return nil, bad("an expedite needs an actor and a reason")
	}
	step := r.prog.Step(req.Step)
	if step == nil {
		return nil, bad("this run's definition has no step %q", req.Step)
	}
	if step.Kind != definitions.KindWait || (step.Wait.Event != "" && step.Wait.Timeout == nil) {
		return nil, bad("step %s is not a wait with a deadline: only a wait for a time, a date, or an event with a timeout ends early", req.Step)
	}
	i, ok := r.stepIndex[req.Step]
	if !ok || r.state.Steps[i].Status != StepActive {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("the run is not waiting at step %s", req.Step), ErrTypeTaskNotOpen, nil)
	}
	st := &r.state.Steps[i]
	if st.Expedited != nil {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("step %s was already expedited by %s", req.Step, st.Expedited.By), ErrTypeTaskNotOpen, nil)
	}
	return st, nil
}

// handleExpedite ends the wait and answers once the run has moved on.
func (r *run) handleExpedite(ctx workflow.Context, req ExpediteRequest) (RunSummary, error) {
	st, err := r.checkExpedite(req)
	if err != nil {
		return RunSummary{}, err
	}
	st.Expedited = &Expedite{By: req.Actor, Reason: req.Reason, At: r.now()}
	r.note(JournalExpedited, req.Step, "", req.Actor, map[string]any{"reason": req.Reason})
	r.wake()
	return r.answer(ctx)
}

// expedited reports whether an operator has ended the step's wait early.
func (r *run) expedited(step *definitions.Step) bool {
	i, ok := r.stepIndex[step.ID]
	return ok && r.state.Steps[i].Expedited != nil
}

// expediteDetail adds to a wait.ended entry who ended the wait early, if someone did.
func (r *run) expediteDetail(step *definitions.Step, detail map[string]any) map[string]any {
	if i, ok := r.stepIndex[step.ID]; ok && r.state.Steps[i].Expedited != nil {
		detail["expedited_by"] = r.state.Steps[i].Expedited.By
	}
	return detail
}
