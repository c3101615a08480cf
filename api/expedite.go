package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// ExpediteRequest ends the wait a run is at now, early.
type ExpediteRequest struct {
	RunID  string `json:"-"`
	Step   string `json:"-"`
	Reason string `json:"reason"`
}

// ExpediteResult is how the run stands once the wait has ended.
type ExpediteResult struct {
	Run RunSummary `json:"run"`
}

// Expedite ends a wait early (admins): an operator's audited action, for a wait whose
// reason has passed (a probation waived, a vendor known not to answer). The run checks
// the step and records who, when and why.
func (s *Server) Expedite(ctx context.Context, me postgres.User, req ExpediteRequest) (ExpediteResult, error) {
	if me.Role != roleAdmin {
		return ExpediteResult{}, problem(http.StatusForbidden, "only admins may end a wait early")
	}
	if strings.TrimSpace(req.Reason) == "" {
		return ExpediteResult{}, invalid("reason is required", FieldError{Field: "reason", Message: "is required: say why the wait ends early"})
	}
	logRunID(ctx, req.RunID)
	var res workflows.RunSummary
	err := s.update(ctx, req.RunID, workflows.UpdateExpedite, "", workflows.ExpediteRequest{
		Step: req.Step, Reason: req.Reason, Actor: me.ID}, &res)
	if err != nil {
		return ExpediteResult{}, err
	}
	return ExpediteResult{Run: runSummary(res)}, nil
}

// ---- HTTP

// expediteStep is POST /v1/runs/{id}/steps/{step}/expedite.
func (s *Server) expediteStep(c echo.Context) error {
	var req ExpediteRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.RunID, req.Step = c.Param("id"), c.Param("step")
	res, err := s.Expedite(c.Request().Context(), caller(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
