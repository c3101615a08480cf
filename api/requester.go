package api

import (
	"context"
	"fmt"
	"slices"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// checkRequesterDeadEnd refuses (422 naming `to`) a reassignment or delegation that would
// leave an approval whose requester may not approve it (exclude_requester) to be decided
// by the requester alone: nobody else who has not voted could then complete it.
func (s *Server) checkRequesterDeadEnd(ctx context.Context, t postgres.Task, kind string, actor postgres.User, to string) error {
	if t.Kind != string(definitions.KindApproval) || kind == workflows.OwnershipClaim || kind == workflows.OwnershipRelease {
		return nil
	}
	run, err := s.db.Run(ctx, t.RunID)
	if err != nil {
		return err
	}
	d, err := s.db.DefinitionVersion(ctx, run.Definition, run.Version)
	if err != nil {
		return err
	}
	prog, err := program(d)
	if err != nil {
		return err
	}
	if step := prog.Step(t.StepID); step == nil || !step.ExcludeRequester {
		return nil
	}
	task, ok, err := s.openTaskState(ctx, t)
	owner := task.ClaimedBy == actor.ID || task.ClaimedBy == "" && slices.Contains(task.Assignees, actor.ID)
	if err != nil || !ok || !owner && actor.Role != roleAdmin {
		return err // a task no longer open, or a caller who may not change it, is the run's to refuse
	}
	assignees, groups, claimed := slices.Clone(task.Assignees), task.CandidateGroups, task.ClaimedBy
	switch kind {
	case workflows.OwnershipReassign:
		assignees, groups, claimed = []string{to}, nil, ""
	case workflows.OwnershipDelegate:
		assignees = slices.DeleteFunc(assignees, func(a string) bool { return a == actor.ID })
		if !slices.Contains(assignees, to) {
			assignees = append(assignees, to)
		}
		if claimed != "" {
			claimed = to
		}
	}
	deciders := assignees
	if claimed != "" {
		deciders, groups = []string{claimed}, nil
	}
	for _, g := range groups {
		members, err := s.db.GroupMembers(ctx, g)
		if err != nil {
			return err
		}
		deciders = append(deciders, members...)
	}
	if !slices.Contains(deciders, run.StartedBy) {
		return nil
	}
	for _, who := range deciders {
		if who != run.StartedBy && !slices.ContainsFunc(task.Votes, func(v workflows.Vote) bool { return v.By == who }) {
			return nil
		}
	}
	return invalid("the approval would be left to its requester alone", FieldError{Field: "to",
		Message: fmt.Sprintf("after this %s only %s, who started the run, could decide the approval, and the requester may not approve their own request (exclude_requester)", kind, run.StartedBy)})
}

// openTaskState is the run's own view of an open task (its assignees and votes so far).
func (s *Server) openTaskState(ctx context.Context, t postgres.Task) (workflows.Task, bool, error) {
	state, err := s.runState(ctx, t.RunID)
	if err != nil {
		return workflows.Task{}, false, err
	}
	for _, open := range state.OpenTasks {
		if open.ID == t.ID {
			return open, true, nil
		}
	}
	return workflows.Task{}, false, nil
}
