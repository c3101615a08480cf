package workflows

import (
	"fmt"
	"maps"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
)

// Task kinds beyond the step kinds task and approval.
const (
	// KindFixIt is the task opened when an automation exhausts its retries.
	KindFixIt = "fixit"
	// OutcomeCompleted is the outcome of a task whose definition names none.
	OutcomeCompleted = "completed"
)

// execHuman opens a task or approval for the step, waits until it is decided, and
// returns the step to send the run back to, if the approval was rejected with a
// send-back target still within its bound.
func (r *run) execHuman(ctx workflow.Context, step *definitions.Step) (string, error) {
	id, err := r.takeUpTask(ctx, step)
	if err != nil {
		return "", r.fail(step, err)
	}
	done, err := r.awaitTask(ctx, id, step, true)
	if err != nil {
		return "", err
	}
	data := done.Data
	if step.Kind == definitions.KindApproval && r.version >= 3 {
		// Version 3: the comment is in the step's data, where the checker declares it
		// (steps.<id>.data.comment, empty when none was given).
		data = maps.Clone(data)
		if data == nil {
			data = map[string]any{}
		}
		data["comment"] = done.Comment
	}
	r.complete(step, done.Outcome, data, done.CompletedBy)
	st := r.stepState(step)
	st.Comment = done.Comment
	st.Votes = done.Votes
	if step.Kind == definitions.KindApproval && done.Outcome == definitions.OutcomeRejected && step.SendBackTo != "" &&
		r.takeRework(step.ID, step.SendBackTo, step.MaxRounds) {
		st.SentBack = st.SentBack + 1
		r.note(JournalSentBack, step.ID, done.ID, done.CompletedBy, map[string]any{"to": step.SendBackTo, "comment": done.Comment})
		return step.SendBackTo, nil
	}
	return "", nil
}

// openHumanTask resolves, projects and opens a task for a step. kind and description
// override the step's for fix-it tasks.
func (r *run) openHumanTask(ctx workflow.Context, step *definitions.Step, kind, description string) (*Task, error) {
	task, managerOf, err := r.newTask(step)
	if err != nil {
		return nil, err
	}
	if kind != "" {
		task.Kind, task.Description = kind, description
		if r.version < 3 {
			task.Outcomes = []string{FixRetry, FixSkip, FixEdit}
		}
		task.ID += fmt.Sprintf(".fix%d", r.stepState(step).Fixes)
	}
	res, err := r.syncResult(ctx, InboxSync{Open: []TaskOpening{{Task: task, ManagerOf: managerOf}}})
	if err != nil {
		return nil, err
	}
	if len(res.Assignees) == 1 {
		task.Assignees = res.Assignees[0]
	}
	task.RequiredVotes = requiredVotes(step, task)
	r.state.OpenTasks = append(r.state.OpenTasks, task)
	if kind == "" && (step.Due != nil) {
		r.watchDeadlines(ctx, task.ID, step)
	}
	return r.openTask(task.ID), nil
}

// takeUpTask opens the step's task, or, in a run continued as new, takes up the one
// it carried (re-arming its deadline timers), and returns its id.
func (r *run) takeUpTask(ctx workflow.Context, step *definitions.Step) (string, error) {
	if r.resumable(step) {
		for _, t := range r.state.OpenTasks {
			if t.StepID == step.ID {
				if t.DueAt != nil {
					r.watchDeadlines(ctx, t.ID, step)
				}
				return t.ID, nil
			}
		}
		for _, id := range workflow.DeterministicKeys(r.finished) {
			if r.finished[id].StepID == step.ID {
				return id, nil
			}
		}
	}
	task, err := r.openHumanTask(ctx, step, "", "")
	if err != nil {
		return "", err
	}
	return task.ID, nil
}

// awaitTask waits until the task is closed and returns it as closed. When the wait is
// cancelled (a parallel branch lost, the run was cancelled) the task is cancelled.
// With mayContinue, the wait ends with errContinue when the run should continue as new.
func (r *run) awaitTask(ctx workflow.Context, id string, step *definitions.Step, mayContinue bool) (*Task, error) {
	var done *Task
	again := false
	err := r.rest(ctx, func() bool {
		done = r.closedTask(id)
		again = done == nil && mayContinue && r.shouldContinue(ctx)
		return done != nil || again
	})
	if again && err == nil {
		return nil, errContinue
	}
	delete(r.finished, id)
	if err != nil {
		if temporal.IsCanceledError(err) {
			r.cancelTask(id)
			delete(r.finished, id)
			r.stepState(step).Status = StepCancelled
		}
		return nil, err
	}
	return done, nil
}

// requiredVotes is how many approvals decide an approval task.
func requiredVotes(step *definitions.Step, t Task) int {
	if step.Kind != definitions.KindApproval {
		return 1
	}
	switch step.Policy {
	case "all":
		return max(1, len(t.Assignees))
	case "quorum":
		return max(1, step.Quorum)
	}
	return 1
}

// newTask renders a step's task and resolves its assignment as far as the workflow can.
func (r *run) newTask(step *definitions.Step) (Task, []string, error) {
	users, groups, managerOf, err := r.resolveRole(step.Assignee)
	if err != nil {
		return Task{}, nil, err
	}
	form := step.Form
	if form == nil {
		form = []definitions.Field{}
	}
	t := Task{
		ID:              r.taskID(step.ID),
		RunID:           r.state.ID,
		StepID:          step.ID,
		Definition:      r.state.Definition,
		Kind:            string(step.Kind),
		Title:           r.render(step.Title, step.ID),
		Description:     r.renderText(step.Description, "", MaxDescriptionRunes),
		Status:          TaskOpen,
		Assignees:       users,
		CandidateGroups: groups,
		Form:            form,
		Outcomes:        outcomes(step),
		Policy:          step.Policy,
		CreatedAt:       r.now(),
	}
	if step.Due != nil {
		due, err := r.dueAt(step)
		if err != nil {
			return Task{}, nil, err
		}
		t.DueAt = &due
	}
	return t, managerOf, nil
}

// outcomes are the choices a task offers.
func outcomes(step *definitions.Step) []string {
	switch {
	case step.Kind == definitions.KindApproval:
		return []string{definitions.OutcomeApproved, definitions.OutcomeRejected}
	case len(step.Outcomes) > 0:
		return step.Outcomes
	}
	return []string{OutcomeCompleted}
}

// taskID names a task after its run and step; a step that runs again (rework) gets a round suffix.
func (r *run) taskID(stepID string) string {
	id := r.state.ID + "." + stepID
	if i, ok := r.stepIndex[stepID]; ok && r.state.Steps[i].Round > 1 {
		id = fmt.Sprintf("%s.%d", id, r.state.Steps[i].Round)
	}
	return id
}

// resolveRole turns a role into user ids and candidate groups. Directory lookups
// (the manager of a user) are left to the activity.
func (r *run) resolveRole(name string) (users, groups, managerOf []string, err error) {
	users, groups = []string{}, []string{}
	if name == "" {
		return users, groups, nil, nil
	}
	role := r.prog.Role(name)
	if role == nil {
		return nil, nil, nil, temporal.NewNonRetryableApplicationError("unknown role "+name, ErrTypeInvalidInput, nil)
	}
	switch {
	case role.User != "":
		users = append(users, role.User)
	case len(role.Users) > 0:
		users = append(users, role.Users...)
	case role.Group != "":
		groups = append(groups, role.Group)
	case role.Expression != "":
		users, err = r.evalUsers(role.Expression)
	case role.ManagerOf != "":
		managerOf, err = r.evalUsers(role.ManagerOf)
	}
	return users, groups, managerOf, err
}

// evalUsers evaluates an expression yielding a user id or a list of them.
func (r *run) evalUsers(expr string) ([]string, error) {
	v, err := r.engine.Eval(r.prog, expr, r.vars(nil))
	if err != nil {
		return nil, fmt.Errorf("evaluate %q: %w", expr, err)
	}
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%q yields %T in its list, want user ids", expr, e)
			}
			out = append(out, s)
		}
		return out, nil
	case []string:
		return slices.Clone(v), nil
	}
	return nil, fmt.Errorf("%q yields %T, want a user id or a list of them", expr, v)
}

// closedTask returns the task with id if it has been closed and its waiter has not
// taken it yet.
func (r *run) closedTask(id string) *Task {
	if t, ok := r.finished[id]; ok {
		return &t
	}
	return nil
}

// openTask returns the open task with id, or nil.
func (r *run) openTask(id string) *Task {
	for i := range r.state.OpenTasks {
		if r.state.OpenTasks[i].ID == id {
			return &r.state.OpenTasks[i]
		}
	}
	return nil
}

// closeTask moves an open task to the closing list with the given final fields.
func (r *run) closeTask(id, status, outcome, comment, by string, data map[string]any) *Task {
	for i := range r.state.OpenTasks {
		if r.state.OpenTasks[i].ID != id {
			continue
		}
		t := r.state.OpenTasks[i]
		t.Status, t.Outcome, t.Comment, t.CompletedBy, t.CompletedAt = status, outcome, comment, by, ptr(r.now())
		if data != nil {
			t.Data = data
		}
		r.state.OpenTasks = slices.Delete(r.state.OpenTasks, i, i+1)
		r.closing = append(r.closing, t)
		r.finished[id] = t
		r.stopWatching(id)
		r.wake()
		return &t
	}
	return nil
}

// cancelTask cancels an open task.
func (r *run) cancelTask(id string) { r.closeTask(id, TaskCancelled, "", "", "", nil) }
