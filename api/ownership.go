package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

type ownershipRequest struct {
	To      string `json:"to"`
	Comment string `json:"comment,omitempty"`
}

type eventRequest struct {
	Data map[string]any `json:"data"`
}

type eventResponse struct {
	Duplicate bool `json:"duplicate"`
	Run       struct {
		Status    string         `json:"status"`
		OpenTasks []taskResource `json:"open_tasks"`
	} `json:"run"`
}

type cancelRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) claimTask(c echo.Context) error {
	return s.changeOwnership(c, workflows.OwnershipClaim)
}

func (s *Server) reassignTask(c echo.Context) error {
	return s.changeOwnership(c, workflows.OwnershipReassign)
}

func (s *Server) delegateTask(c echo.Context) error {
	return s.changeOwnership(c, workflows.OwnershipDelegate)
}

// changeOwnership claims, reassigns or delegates a task through the run, which records
// who did it, when, from whom and to whom.
func (s *Server) changeOwnership(c echo.Context, kind string) error {
	var req ownershipRequest
	if kind != workflows.OwnershipClaim || c.Request().ContentLength > 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	t, err := s.task(c)
	if err != nil {
		return err
	}
	me := caller(c)
	ctx := c.Request().Context()
	switch kind {
	case workflows.OwnershipClaim:
		if !mayWorkOn(me, t) {
			return problem(http.StatusForbidden, "only members of the task's groups may claim it")
		}
	default:
		if req.To == "" {
			return invalid("to is required", FieldError{"to", "is required"})
		}
		if _, err := s.db.User(ctx, req.To); err != nil {
			if errors.Is(err, postgres.ErrNotFound) {
				return invalid("unknown user", FieldError{"to", fmt.Sprintf("no user %q", req.To)})
			}
			return err
		}
	}
	if t.Status != workflows.TaskOpen {
		return problem(http.StatusConflict, fmt.Sprintf("task %s is %s", t.ID, t.Status))
	}
	if err := s.checkRequesterDeadEnd(ctx, t, kind, me, req.To); err != nil {
		return err
	}
	var out workflows.Task
	err = s.update(ctx, t.RunID, kind, "", workflows.OwnershipRequest{
		Kind: kind, TaskID: t.ID, Actor: me.ID, To: req.To, Comment: req.Comment,
		ActorGroups: me.Groups, Admin: me.Role == roleAdmin,
	}, &out)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, taskFromRun(out))
}

// deliverEvent hands a named external event to a run's wait step. The Idempotency-Key
// header (or, without one, a digest of the name and data) makes a second delivery a no-op.
func (s *Server) deliverEvent(c echo.Context) error {
	var req eventRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := checkPayload("data", req.Data); err != nil {
		return err
	}
	if err := s.seeRun(c, c.Param("id")); err != nil {
		return err
	}
	name := c.Param("name")
	id := c.Request().Header.Get("Idempotency-Key")
	if id == "" {
		body, _ := json.Marshal(req.Data) // map keys are sorted: a stable digest
		sum := sha256.Sum256(append([]byte(name+"\x00"), body...))
		id = "sha256:" + hex.EncodeToString(sum[:])
	}
	var res workflows.EventResult
	err := s.update(c.Request().Context(), c.Param("id"), workflows.UpdateEvent, "event/"+id,
		workflows.EventRequest{ID: id, Name: name, Data: req.Data, Actor: caller(c).ID}, &res)
	if err != nil {
		return err
	}
	var out eventResponse
	out.Duplicate = res.Duplicate
	out.Run.Status = res.Run.Status
	out.Run.OpenTasks = make([]taskResource, 0, len(res.Run.OpenTasks))
	for _, t := range res.Run.OpenTasks {
		out.Run.OpenTasks = append(out.Run.OpenTasks, taskFromRun(t))
	}
	return c.JSON(http.StatusOK, out)
}

// update sends an Update to a run and waits for its result, mapping the run's typed
// rejections and a finished run to problems.
func (s *Server) update(ctx context.Context, runID, name, updateID string, arg, result any) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.UpdateTimeout)
	defer cancel()
	handle, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: runID, UpdateName: name, UpdateID: updateID,
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{arg},
	})
	if err == nil {
		err = handle.Get(ctx, result)
	}
	if err == nil {
		return nil
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return problem(http.StatusNotFound, fmt.Sprintf("no active run %q", runID))
	}
	var timedOut *client.WorkflowUpdateServiceTimeoutOrCanceledError
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &timedOut) || ctx.Err() != nil {
		// The SDK reports its own wait running out as a gRPC error, not the context's.
		return problem(http.StatusServiceUnavailable, "the run did not answer in time; try again")
	}
	if p := toProblem(err); p != nil {
		return p
	}
	return fmt.Errorf("%s on run %s: %w", name, runID, err)
}
