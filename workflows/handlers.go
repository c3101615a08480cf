package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
)

// registerHandlers wires the state query, the updates and the completion signal.
func (r *run) registerHandlers() error {
	if err := workflow.SetQueryHandler(r.ctx, QueryState, func() (RunState, error) {
		return r.state, nil
	}); err != nil {
		return fmt.Errorf("register query: %w", err)
	}
	if err := workflow.SetQueryHandler(r.ctx, QuerySync, func() (SyncLog, error) {
		return r.syncLog(), nil
	}); err != nil {
		return fmt.Errorf("register query: %w", err)
	}
	updates := []struct {
		name      string
		handler   any
		validator any
	}{
		{UpdateComplete, r.handleComplete, r.validateComplete},
		{UpdateClaim, r.handleOwnership, r.validateOwnership},
		{UpdateRelease, r.handleOwnership, r.validateOwnership},
		{UpdateReassign, r.handleOwnership, r.validateOwnership},
		{UpdateDelegate, r.handleOwnership, r.validateOwnership},
		{UpdateEvent, r.handleEvent, r.validateEvent},
		{UpdateSettle, r.handleSettle, nil},
		{UpdateExpedite, r.handleExpedite, r.validateExpedite},
	}
	for _, u := range updates {
		if err := workflow.SetUpdateHandlerWithOptions(r.ctx, u.name, u.handler,
			workflow.UpdateHandlerOptions{Validator: u.validator}); err != nil {
			return fmt.Errorf("register %s update: %w", u.name, err)
		}
	}
	if r.version >= 3 {
		// No coroutine of its own, whose stack every waiting run kept (8 KiB): resting
		// coroutines take the signals (rest.go, takeSignals).
		r.signals = workflow.GetSignalChannel(r.ctx, SignalComplete)
		return nil
	}
	workflow.Go(r.ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, SignalComplete)
		for {
			var req CompleteRequest
			ch.Receive(ctx, &req)
			r.handleCompleteSignal(ctx, req)
		}
	})
	return nil
}

// drainSignals processes signals that arrived but were not yet read, so none is dropped
// when the run ends.
func (r *run) drainSignals(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(r.ctx, SignalComplete)
	for {
		var req CompleteRequest
		if !ch.ReceiveAsync(&req) {
			return
		}
		r.handleCompleteSignal(ctx, req)
	}
}

// handleSettle answers once the run has come to rest (waiting for people, or ended):
// its state, brief from version 3 (brief.go).
func (r *run) handleSettle(ctx workflow.Context) (any, error) {
	err := workflow.Await(ctx, func() bool { return r.busy == 0 })
	return r.settled(), err
}

// answer waits until the run has come to rest after a change and summarises it.
func (r *run) answer(ctx workflow.Context) (RunSummary, error) {
	err := workflow.Await(ctx, func() bool { return r.busy == 0 })
	open := make([]Task, len(r.state.OpenTasks))
	for i, t := range r.state.OpenTasks {
		open[i] = t.clone()
	}
	return RunSummary{Status: r.state.Status, OpenTasks: open}, err
}

// validateComplete rejects a completion before anything is written to history.
// It must not change state.
func (r *run) validateComplete(req CompleteRequest) error {
	if _, ok := r.results[req.IdempotencyKey]; ok && req.IdempotencyKey != "" {
		return nil
	}
	_, err := r.checkCompletion(req)
	return err
}

// checkCompletion validates a completion against the open task and its form and
// returns the cleaned form data.
func (r *run) checkCompletion(req CompleteRequest) (map[string]any, error) {
	t, err := r.taskFor(req.TaskID, req.Actor)
	if err != nil {
		return nil, err
	}
	if !t.eligible(req.Actor, req.ActorGroups, req.Admin) {
		return nil, notEligible(req.Actor, "complete", t.ID)
	}
	if t.Kind == string(definitions.KindApproval) {
		if slices.ContainsFunc(t.Votes, func(v Vote) bool { return v.By == req.Actor }) {
			return nil, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("%s has already decided task %s", req.Actor, t.ID), ErrTypeTaskNotOpen, nil)
		}
		if step := r.prog.Step(t.StepID); step != nil && step.ExcludeRequester && req.Actor == r.state.StartedBy {
			return nil, temporal.NewNonRetryableApplicationError(
				"the requester may not approve their own request", ErrTypeNotEligible, nil)
		}
	}
	var errs []definitions.FieldError
	switch {
	case r.version >= 3 && req.Outcome == "" && len(t.Outcomes) > 1:
		// Where there is a choice, it is made: an empty outcome no longer takes the first.
		errs = append(errs, definitions.FieldError{Field: "outcome",
			Message: "is required: choose one of " + strings.Join(t.Outcomes, ", ")})
	case !t.allows(req.Outcome):
		errs = append(errs, definitions.FieldError{Field: "outcome",
			Message: fmt.Sprintf("must be one of %v", t.Outcomes)})
	}
	data := req.Data
	if data == nil {
		data = map[string]any{}
	}
	clean, formErrs := r.engine.ValidateForm(r.prog, t.Form, data, r.vars(data))
	errs = append(errs, formErrs...)
	if t.Kind == KindFixIt && r.version >= 3 && len(formErrs) == 0 {
		errs = append(errs, r.checkFixIt(t, req.Outcome, clean)...)
	}
	if len(errs) > 0 {
		return nil, invalidForm(errs)
	}
	return clean, nil
}

// taskFor returns the open task or the typed error naming why it cannot be acted on.
func (r *run) taskFor(id, actor string) (*Task, error) {
	if actor == "" {
		return nil, temporal.NewNonRetryableApplicationError("actor is required", ErrTypeBadRequest, nil)
	}
	t := r.openTask(id)
	if t == nil {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("task %s is not open", id), ErrTypeTaskNotOpen, nil)
	}
	return t, nil
}

func notEligible(actor, what, task string) error {
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("%s may not %s task %s", actor, what, task), ErrTypeNotEligible, nil)
}

func invalidForm(errs []definitions.FieldError) error {
	return temporal.NewApplicationErrorWithOptions("the form data is invalid", ErrTypeInvalidForm,
		temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{errs}})
}

// handleComplete completes a task (or records a vote on an approval) and answers with
// the run as it stands once it has moved on (brief from version 3, brief.go).
func (r *run) handleComplete(ctx workflow.Context, req CompleteRequest) (any, error) {
	if res, ok := r.results[req.IdempotencyKey]; ok && req.IdempotencyKey != "" {
		return r.completeAnswer(res), nil
	}
	data, err := r.checkCompletion(req)
	if err != nil {
		return CompleteResult{}, err
	}
	task := r.apply(req, data).clone()
	run, err := r.answer(ctx)
	if err != nil {
		return CompleteResult{}, err
	}
	res := CompleteResult{Task: task, Run: run}
	if req.IdempotencyKey != "" {
		r.results[req.IdempotencyKey] = res
	}
	return r.completeAnswer(res), nil
}

// handleCompleteSignal applies a completion sent as a signal, recording it in the run
// state when it is refused. From version 3 the actor's groups and role come from the
// directory (ActivityLookupUser), not from the signal, which nobody authenticated.
func (r *run) handleCompleteSignal(ctx workflow.Context, req CompleteRequest) {
	if _, ok := r.results[req.IdempotencyKey]; ok && req.IdempotencyKey != "" {
		return
	}
	var err error
	if r.version >= 3 {
		r.signalling++
		req, err = r.signalActor(ctx, req)
		r.signalling--
	}
	var data map[string]any
	if err == nil {
		data, err = r.checkCompletion(req)
	}
	if err != nil {
		rej := Rejection{At: r.now(), Signal: SignalComplete, TaskID: req.TaskID, Actor: req.Actor, Reason: err.Error()}
		detail := map[string]any{}
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) {
			rej.Reason = appErr.Message()
			var details []definitions.FieldError
			if appErr.Type() == ErrTypeInvalidForm && appErr.Details(&details) == nil {
				rej.Details = details
				fields := map[string]any{}
				for _, d := range details {
					fields[d.Field] = d.Message
				}
				detail["fields"] = fields
			}
		}
		detail["reason"] = rej.Reason
		r.state.Rejected = append(r.state.Rejected, rej)
		r.note(JournalRejected, "", req.TaskID, req.Actor, detail)
		return
	}
	task := r.apply(req, data)
	if req.IdempotencyKey != "" {
		r.results[req.IdempotencyKey] = CompleteResult{Task: task, Run: RunSummary{Status: r.state.Status}}
	}
}

// apply records a validated completion. A task closes at once; an approval closes when
// its policy is decided (any: the first vote; all: every approver, or the first
// rejection; quorum: enough approvals, or too many rejections to reach them).
func (r *run) apply(req CompleteRequest, data map[string]any) Task {
	t := r.openTask(req.TaskID)
	outcome := req.Outcome
	if outcome == "" {
		outcome = t.Outcomes[0]
	}
	if t.Kind != string(definitions.KindApproval) {
		return *r.closeTask(t.ID, TaskCompleted, outcome, req.Comment, req.Actor, data)
	}
	t.Votes = append(t.Votes, Vote{By: req.Actor, Outcome: outcome, Comment: req.Comment, Data: data, At: r.now()})
	approvals, rejections := 0, 0
	for _, v := range t.Votes {
		if v.Outcome == definitions.OutcomeApproved {
			approvals++
		} else {
			rejections++
		}
	}
	voters := max(len(t.Assignees), t.RequiredVotes)
	switch {
	case approvals >= t.RequiredVotes:
		return *r.closeTask(t.ID, TaskCompleted, definitions.OutcomeApproved, req.Comment, req.Actor, data)
	case rejections > voters-t.RequiredVotes || t.RequiredVotes == 1:
		return *r.closeTask(t.ID, TaskCompleted, definitions.OutcomeRejected, req.Comment, req.Actor, data)
	}
	return *t
}

// validateOwnership checks a claim, release, reassignment or delegation.
func (r *run) validateOwnership(req OwnershipRequest) error {
	_, err := r.checkOwnership(req)
	return err
}

func (r *run) checkOwnership(req OwnershipRequest) (*Task, error) {
	t, err := r.taskFor(req.TaskID, req.Actor)
	if err != nil {
		return nil, err
	}
	switch req.Kind {
	case OwnershipClaim:
		if len(t.CandidateGroups) == 0 {
			return nil, temporal.NewNonRetryableApplicationError("only group tasks are claimed", ErrTypeBadRequest, nil)
		}
		if t.ClaimedBy != "" {
			return nil, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("task %s is already claimed by %s", t.ID, t.ClaimedBy), ErrTypeTaskNotOpen, nil)
		}
		if !req.Admin && !t.eligible(req.Actor, req.ActorGroups, false) {
			return nil, notEligible(req.Actor, "claim", t.ID)
		}
	case OwnershipRelease:
		if t.ClaimedBy == "" {
			return nil, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("task %s is not claimed", t.ID), ErrTypeTaskNotOpen, nil)
		}
		if !req.Admin && t.ClaimedBy != req.Actor {
			return nil, notEligible(req.Actor, "release", t.ID)
		}
	case OwnershipReassign, OwnershipDelegate:
		if req.To == "" {
			return nil, temporal.NewNonRetryableApplicationError("to is required", ErrTypeBadRequest, nil)
		}
		owner := t.ClaimedBy == req.Actor || (t.ClaimedBy == "" && slices.Contains(t.Assignees, req.Actor))
		if !owner && !req.Admin {
			return nil, notEligible(req.Actor, req.Kind, t.ID)
		}
	default:
		return nil, temporal.NewNonRetryableApplicationError("unknown ownership change "+req.Kind, ErrTypeBadRequest, nil)
	}
	return t, nil
}

// handleOwnership claims, releases, reassigns or delegates a task and writes the new
// assignment to the inbox before answering.
func (r *run) handleOwnership(ctx workflow.Context, req OwnershipRequest) (Task, error) {
	t, err := r.checkOwnership(req)
	if err != nil {
		return Task{}, err
	}
	from := t.owner()
	switch req.Kind {
	case OwnershipClaim:
		t.ClaimedBy = req.Actor
	case OwnershipRelease:
		t.ClaimedBy = ""
	case OwnershipReassign:
		t.Assignees, t.CandidateGroups, t.ClaimedBy = []string{req.To}, []string{}, ""
	case OwnershipDelegate:
		t.Assignees = slices.DeleteFunc(t.Assignees, func(a string) bool { return a == req.Actor })
		t.Assignees = appendNew(t.Assignees, req.To)
		if t.ClaimedBy != "" {
			t.ClaimedBy = req.To
		}
	}
	t.History = append(t.History, TaskEvent{At: r.now(), Kind: req.Kind, Actor: req.Actor, From: from,
		To: t.owner(), Detail: req.Comment})
	r.note(JournalOwnership, t.StepID, t.ID, req.Actor, map[string]any{"change": req.Kind, "from": from, "to": t.owner(), "comment": req.Comment})
	r.reassigned(ctx, t.ID, nil)
	if t = r.openTask(req.TaskID); t == nil {
		return Task{}, nil
	}
	return t.clone(), nil
}

// reassigned writes a task's new assignment to the inbox (resolving managers) and
// keeps the search attributes true.
func (r *run) reassigned(ctx workflow.Context, id string, managerOf []string) {
	t := r.openTask(id)
	if t == nil {
		return
	}
	res, err := r.syncResult(ctx, InboxSync{Open: []TaskOpening{{Task: *t, ManagerOf: managerOf}}})
	if err != nil {
		workflow.GetLogger(r.ctx).Error("write reassignment", "task", id, "error", err)
		return
	}
	if t = r.openTask(id); t != nil && len(res.Assignees) == 1 {
		t.Assignees = res.Assignees[0]
	}
	r.updateVisibility()
}

// signalActor fills in a signalled completion's actor from the directory.
func (r *run) signalActor(ctx workflow.Context, req CompleteRequest) (CompleteRequest, error) {
	req.ActorGroups, req.Admin = nil, false
	if req.Actor == "" {
		return req, temporal.NewNonRetryableApplicationError("actor is required", ErrTypeBadRequest, nil)
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		Summary:             "Look up " + req.Actor + " in the directory",
		RetryPolicy:         syncRetry,
	})
	var u DirectoryUser
	if err := workflow.ExecuteLocalActivity(lctx, ActivityLookupUser, req.Actor).Get(lctx, &u); err != nil {
		return req, fmt.Errorf("look up %s: %w", req.Actor, err)
	}
	if !u.Found {
		return req, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s is not a user of the directory", req.Actor), ErrTypeNotEligible, nil)
	}
	req.ActorGroups, req.Admin = u.Groups, u.Admin
	return req, nil
}
