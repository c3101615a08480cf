package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/workflows"
)

type expediteRequest struct {
	Reason string `json:"reason"`
}

type expediteResponse struct {
	Run struct {
		Status    string         `json:"status"`
		OpenTasks []taskResource `json:"open_tasks"`
	} `json:"run"`
}

// expediteStep ends a wait early (POST /v1/runs/{id}/steps/{step}/expedite, admins): an
// operator's audited action, for a wait whose reason has passed (a probation waived, a
// vendor known not to answer). The run checks the step and records who, when and why.
func (s *Server) expediteStep(c echo.Context) error {
	var req expediteRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Reason) == "" {
		return invalid("reason is required", FieldError{Field: "reason", Message: "is required: say why the wait ends early"})
	}
	setLogRunID(c, c.Param("id"))
	var res workflows.RunSummary
	err := s.update(c.Request().Context(), c.Param("id"), workflows.UpdateExpedite, "", workflows.ExpediteRequest{
		Step: c.Param("step"), Reason: req.Reason, Actor: caller(c).ID}, &res)
	if err != nil {
		return err
	}
	var out expediteResponse
	out.Run.Status = res.Status
	out.Run.OpenTasks = make([]taskResource, 0, len(res.OpenTasks))
	for _, t := range res.OpenTasks {
		out.Run.OpenTasks = append(out.Run.OpenTasks, taskFromRun(t))
	}
	return c.JSON(http.StatusOK, out)
}
