package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// The approve and reject links of approval emails (outbox.approvalLinks creates them):
// opening one shows a confirmation page and changes nothing, so a mail scanner that
// fetches every link decides nothing; its button posts, which uses the link once and
// decides the approval as the person the link was made for. A used, expired or unknown
// link is refused in words.

// approveView is the confirmation page's data.
type approveView struct {
	Token   string
	Task    api.Task
	Person  postgres.User
	Outcome string // approved or rejected
	Done    bool   // decided just now
	Problem string // why it cannot be decided here
}

// approvePage shows what the link would decide, and a button to confirm it.
func (s *Server) approvePage(c echo.Context) error {
	token := c.QueryParam("token")
	l, err := s.db.ApprovalLink(c.Request().Context(), hashToken(token))
	if err != nil {
		return linkRefusal(err, postgres.ApprovalLink{})
	}
	if l.UsedAt != nil || !l.ExpiresAt.After(time.Now()) {
		return linkRefusal(nil, l)
	}
	return s.renderApprove(c, http.StatusOK, approveView{Token: token}, l)
}

// approve uses the link once and decides the approval with the comment typed.
func (s *Server) approve(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.FormValue("token")
	l, err := s.db.UseApprovalLink(ctx, hashToken(token))
	if errors.Is(err, postgres.ErrNotFound) {
		l, err = s.db.ApprovalLink(ctx, hashToken(token))
		if err == nil {
			return linkRefusal(nil, l)
		}
	}
	if err != nil {
		return linkRefusal(err, l)
	}
	u, err := s.db.User(ctx, l.UserID)
	if err != nil {
		return err
	}
	if u.DeactivatedAt != nil {
		return errDeactivated
	}
	_, err = s.api.CompleteTask(ctx, u, api.CompleteTaskRequest{TaskID: l.TaskID, Outcome: l.Outcome,
		Comment: strings.TrimSpace(c.FormValue("comment")), Data: map[string]any{}})
	v := approveView{Done: err == nil}
	var p *api.Problem
	switch {
	case errors.As(err, &p) && p.Status < 500:
		v.Done, v.Problem = false, capital(p.Detail)+". Open the task to decide it there."
	case err != nil:
		return err
	}
	return s.renderApprove(c, http.StatusOK, v, l)
}

func (s *Server) renderApprove(c echo.Context, status int, v approveView, l postgres.ApprovalLink) error {
	ctx := c.Request().Context()
	u, err := s.db.User(ctx, l.UserID)
	if err != nil {
		return err
	}
	if u.DeactivatedAt != nil {
		return errDeactivated
	}
	if v.Task, err = s.api.GetTask(ctx, u, l.TaskID); err != nil {
		return err
	}
	v.Person, v.Outcome = u, l.Outcome
	if !v.Done && v.Problem == "" && v.Task.Status != workflows.TaskOpen {
		v.Problem = "This approval has been decided already."
	}
	title := "Approve"
	if l.Outcome != "approved" {
		title = "Reject"
	}
	return s.render(c, status, "approve", "", view{Title: title, Page: v})
}

// linkRefusal is the page of a link that cannot be used: unknown, used or expired.
func linkRefusal(err error, l postgres.ApprovalLink) error {
	switch {
	case errors.Is(err, postgres.ErrNotFound):
		return failure(http.StatusNotFound, "This link is not one Handoff sent. Open the task from your inbox instead.")
	case err != nil:
		return err
	case l.UsedAt != nil:
		return failure(http.StatusGone, "This link has been used already: each approve or reject link works once. Open the task from your inbox to see how it stands.")
	}
	return failure(http.StatusGone, "This link has expired. Open the task from your inbox to decide it there.")
}
