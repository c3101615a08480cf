package api

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// From interpreter version 3 a run answers the settle and complete Updates briefly
// (workflows/brief.go): each task by its id and step, with how it ended and the choices
// an open one offers. The rest of a task (title, description, kind, assignees, groups,
// claim, due date, form, creation time) is its inbox projection row, which the run
// writes before it answers; one query reads the rows of all the open tasks of an
// answer. A brief task is one without a run id; version 1 and 2 answers are whole.

// fillTasks completes the brief tasks among ts from their projection rows. It reports
// false, leaving ts as they are, when a row is missing (the caller asks the run).
func (s *Server) fillTasks(ctx context.Context, ts []workflows.Task) (bool, error) {
	var ids []string
	for _, t := range ts {
		if t.RunID == "" {
			ids = append(ids, t.ID)
		}
	}
	if len(ids) == 0 {
		return true, nil
	}
	rows, err := s.db.TasksByID(ctx, ids)
	if err != nil {
		return false, err
	}
	byID := make(map[string]postgres.Task, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	for _, id := range ids {
		if _, ok := byID[id]; !ok {
			return false, nil
		}
	}
	for i := range ts {
		if ts[i].RunID == "" {
			if err := fillTask(&ts[i], byID[ts[i].ID]); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// fillTask completes a brief task from its projection row; what the run said (status,
// outcome, data, completion, choices) stays.
func fillTask(t *workflows.Task, row postgres.Task) error {
	t.RunID, t.Definition, t.Kind, t.Title, t.Description = row.RunID, row.Definition, row.Kind, row.Title, row.Description
	t.Assignees, t.CandidateGroups, t.ClaimedBy, t.DueAt = row.Assignees, row.CandidateGroups, row.ClaimedBy, row.DueAt
	t.CreatedAt, t.Form = row.CreatedAt, nil
	if t.Status == "" {
		t.Status = row.Status
	}
	if len(row.Form) > 0 {
		if err := json.Unmarshal(row.Form, &t.Form); err != nil {
			return fmt.Errorf("decode form of task %s: %w", row.ID, err)
		}
	}
	return nil
}

// fillSettled completes a brief settle answer (no definition: version 3) with what the
// start sent and the open tasks' rows; without the rows, it asks the run for its state.
func (s *Server) fillSettled(ctx context.Context, st *workflows.RunState, rs runStart) error {
	if st.Definition != "" {
		return nil
	}
	st.ID, st.Definition, st.Version, st.BusinessKey = rs.workflowID, rs.prog.Key, rs.version, rs.businessKey
	st.StartedBy, st.Inputs = rs.startedBy, rs.inputs
	ok, err := s.fillTasks(ctx, st.OpenTasks)
	if err != nil || ok {
		return err
	}
	whole, err := s.runState(ctx, rs.workflowID)
	if err != nil {
		return err
	}
	st.OpenTasks = whole.OpenTasks
	return nil
}

// fillCompleted completes a brief completion answer: the task from its row as loaded
// before the completion, the open tasks from theirs (or, without them, from the run).
func (s *Server) fillCompleted(ctx context.Context, res *workflows.CompleteResult, row postgres.Task) error {
	if res.Task.RunID == "" {
		if err := fillTask(&res.Task, row); err != nil {
			return err
		}
	}
	ok, err := s.fillTasks(ctx, res.Run.OpenTasks)
	if err != nil || ok {
		return err
	}
	whole, err := s.runState(ctx, row.RunID)
	if err != nil {
		return err
	}
	res.Run.OpenTasks = whole.OpenTasks
	return nil
}
