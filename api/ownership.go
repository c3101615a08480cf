package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// OwnershipRequest claims or releases a task (To is left empty), or reassigns or
// delegates it to a user.
type OwnershipRequest struct {
	TaskID  string `json:"-"`
	To      string `json:"to"`
	Comment string `json:"comment,omitempty"`
}

// ClaimTask makes the caller, a member of one of the task's groups, its only owner.
func (s *Server) ClaimTask(ctx context.Context, me postgres.User, req OwnershipRequest) (Task, error) {
	return s.changeOwnership(ctx, me, workflows.OwnershipClaim, req)
}

// ReleaseTask gives a claimed group task back to its groups: the claimant (or an admin)
// lets go of it, and it is in every member's inbox again.
func (s *Server) ReleaseTask(ctx context.Context, me postgres.User, req OwnershipRequest) (Task, error) {
	return s.changeOwnership(ctx, me, workflows.OwnershipRelease, req)
}

// ReassignTask gives the task to another user in place of its assignees.
func (s *Server) ReassignTask(ctx context.Context, me postgres.User, req OwnershipRequest) (Task, error) {
	return s.changeOwnership(ctx, me, workflows.OwnershipReassign, req)
}

// DelegateTask hands the task to another user, who acts for its owner.
func (s *Server) DelegateTask(ctx context.Context, me postgres.User, req OwnershipRequest) (Task, error) {
	return s.changeOwnership(ctx, me, workflows.OwnershipDelegate, req)
}

// changeOwnership claims, releases, reassigns or delegates a task through the run, which records
// who did it, when, from whom and to whom.
func (s *Server) changeOwnership(ctx context.Context, me postgres.User, kind string, req OwnershipRequest) (Task, error) {
	t, err := s.task(ctx, me, req.TaskID)
	if err != nil {
		return Task{}, err
	}
	switch kind {
	case workflows.OwnershipClaim:
		if !mayWorkOn(me, t) {
			return Task{}, problem(http.StatusForbidden, "only members of the task's groups may claim it")
		}
	case workflows.OwnershipRelease:
		if t.ClaimedBy == "" {
			return Task{}, problem(http.StatusConflict, fmt.Sprintf("task %s is not claimed", t.ID))
		}
		if t.ClaimedBy != me.ID && me.Role != roleAdmin {
			return Task{}, problem(http.StatusForbidden, "only the task's claimant may release it")
		}
	default:
		if req.To == "" {
			return Task{}, invalid("to is required", FieldError{"to", "is required"})
		}
		if err := activeUser(ctx, s.db, "to", req.To); err != nil {
			return Task{}, err
		}
	}
	if t.Status != workflows.TaskOpen {
		return Task{}, problem(http.StatusConflict, fmt.Sprintf("task %s is %s", t.ID, t.Status))
	}
	if err := s.checkRequesterDeadEnd(ctx, t, kind, me, req.To); err != nil {
		return Task{}, err
	}
	var out workflows.Task
	err = s.update(ctx, t.RunID, kind, "", workflows.OwnershipRequest{
		Kind: kind, TaskID: t.ID, Actor: me.ID, To: req.To, Comment: req.Comment,
		ActorGroups: me.Groups, Admin: me.Role == roleAdmin,
	}, &out)
	if err != nil {
		return Task{}, err
	}
	return taskFromRun(out), nil
}

// ---- HTTP

func (s *Server) claimTask(c echo.Context) error {
	return s.ownershipHandler(c, s.ClaimTask, false)
}

func (s *Server) releaseTask(c echo.Context) error {
	return s.ownershipHandler(c, s.ReleaseTask, false)
}

func (s *Server) reassignTask(c echo.Context) error {
	return s.ownershipHandler(c, s.ReassignTask, true)
}

func (s *Server) delegateTask(c echo.Context) error {
	return s.ownershipHandler(c, s.DelegateTask, true)
}

// ownershipHandler decodes an ownership request (a claim or release may come without a
// body).
func (s *Server) ownershipHandler(c echo.Context, op func(context.Context, postgres.User, OwnershipRequest) (Task, error), body bool) error {
	var req OwnershipRequest
	if body || c.Request().ContentLength > 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	req.TaskID = c.Param("id")
	t, err := op(c.Request().Context(), caller(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}
