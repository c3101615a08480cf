package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/api"
)

// A definition's schedules (designers): each with its next runs and state
// (ListSchedules), pause, unpause and delete (PauseSchedule, UnpauseSchedule,
// DeleteSchedule), and a new one from a cron expression or an interval and the start
// form, rendered by the one form code (CreateSchedule validates the inputs as a start
// would).

type schedulesView struct {
	Def       api.Definition
	Schedules []api.Schedule
	Form      formView
	Cron      string
	Interval  string
	TimeZone  string
	Errors    map[string]string // the schedule's own fields: cron, interval, time_zone
	Error     string
}

func (s *Server) schedulesPage(c echo.Context) error {
	d, err := s.api.GetDefinition(c.Request().Context(), user(c), c.Param("key"), 0)
	if err != nil {
		return err
	}
	return s.renderSchedules(c, http.StatusOK, d, schedulesView{Form: newForm(d.Inputs, formValues(d.Inputs, nil, true, zone(c)), nil, nil)})
}

func (s *Server) renderSchedules(c echo.Context, status int, d api.Definition, v schedulesView) error {
	list, err := s.api.ListSchedules(c.Request().Context(), user(c), d.Key)
	if err != nil {
		return err
	}
	v.Def, v.Schedules = d, list
	return s.render(c, status, "schedules", "", view{Title: "Schedules of " + d.Key, Page: v})
}

func (s *Server) addSchedule(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := s.api.GetDefinition(ctx, user(c), c.Param("key"), 0)
	if err != nil {
		return err
	}
	vals, err := c.FormParams()
	if err != nil {
		return failure(http.StatusBadRequest, "The form could not be read.")
	}
	req := api.ScheduleRequest{Definition: d.Key, Cron: strings.TrimSpace(vals.Get("cron")), Interval: strings.TrimSpace(vals.Get("interval")),
		TimeZone: strings.TrimSpace(vals.Get("time_zone")), Inputs: formData(d.Inputs, vals, zone(c))}
	_, err = s.api.CreateSchedule(ctx, user(c), req)
	var p *api.Problem
	if errors.As(err, &p) && p.Status < 500 && p.Status != http.StatusNotFound && p.Status != http.StatusForbidden {
		v := schedulesView{Form: newForm(d.Inputs, vals, api.FieldMessages(p.Errors, "inputs."), nil),
			Cron: req.Cron, Interval: req.Interval, TimeZone: req.TimeZone, Errors: api.FieldMessages(p.Errors, ""), Error: p.Detail}
		return s.renderSchedules(c, p.Status, d, v)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/definitions/"+url.PathEscape(d.Key)+"/schedules")
}

// scheduleAction pauses, unpauses or deletes a schedule.
func (s *Server) scheduleAction(c echo.Context) error {
	ctx, me, id := c.Request().Context(), user(c), c.Param("id")
	var err error
	switch c.Param("action") {
	case "pause":
		_, err = s.api.PauseSchedule(ctx, me, api.ScheduleNote{ID: id, Note: strings.TrimSpace(c.FormValue("note"))})
	case "unpause":
		_, err = s.api.UnpauseSchedule(ctx, me, api.ScheduleNote{ID: id})
	case "delete":
		err = s.api.DeleteSchedule(ctx, me, id)
	default:
		return failure(http.StatusNotFound, "There is no such page.")
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/definitions/"+url.PathEscape(c.Param("key"))+"/schedules")
}
