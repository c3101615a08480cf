package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/postgres"
)

// reportDays is the window a report covers when the request names no start.
const reportDays = 30

// Report is how a definition's runs went in a window.
type Report struct {
	Definition string       `json:"definition"`
	From       time.Time    `json:"from"`
	To         time.Time    `json:"to"`
	Runs       ReportRuns   `json:"runs"`
	CycleTime  Percentiles  `json:"cycle_time"`
	Steps      []ReportStep `json:"steps"`
}

// ReportRuns counts the runs started in the window by how they stand.
type ReportRuns struct {
	Started   int `json:"started"`
	Running   int `json:"running"`
	Completed int `json:"completed"`
	Failed    int `json:"failed"`
	Cancelled int `json:"cancelled"`
}

// Percentiles are durations in seconds; nil when there is nothing to measure.
type Percentiles struct {
	P50 *float64 `json:"p50_seconds"`
	P90 *float64 `json:"p90_seconds"`
}

// ReportStep is one step's tasks created in the window.
type ReportStep struct {
	Step       string      `json:"step"`
	Tasks      int         `json:"tasks"`
	Completed  int         `json:"completed"`
	Wait       Percentiles `json:"wait"`
	Overdue    int         `json:"overdue"`
	Rework     int         `json:"rework"`
	Exceptions int         `json:"exceptions"`
	Rejected   int         `json:"rejected"`
}

// ReportQuery asks for a definition's report: from and to are RFC 3339 times or
// YYYY-MM-DD dates; to defaults to now and from to 30 days before to.
type ReportQuery struct {
	Definition string
	From, To   string
}

// DefinitionReport answers how a definition's runs went in a window (designers and
// auditors): runs
// started in [from, to) and how they stand, their cycle time, and per step the tasks
// created in the window, their wait, overdue, rework and exceptions.
func (s *Server) DefinitionReport(ctx context.Context, me postgres.User, q ReportQuery) (Report, error) {
	if err := need(me, roleDesigner, roleAuditor); err != nil { // aggregates, no run's data
		return Report{}, err
	}
	now := time.Now().UTC()
	from, to, err := reportWindow(q.From, q.To, now)
	if err != nil {
		return Report{}, err
	}
	if _, err := s.db.LatestDefinition(ctx, q.Definition); err != nil {
		return Report{}, notFound(err, "definition %q", q.Definition)
	}
	r, err := s.db.DefinitionReport(ctx, postgres.ReportWindow{Definition: q.Definition, From: from, To: to, Now: now})
	if err != nil {
		return Report{}, err
	}
	out := Report{Definition: q.Definition, From: from.Truncate(time.Second), To: to.Truncate(time.Second),
		Runs: ReportRuns{Started: r.Runs.Started, Running: r.Runs.Running, Completed: r.Runs.Completed,
			Failed: r.Runs.Failed, Cancelled: r.Runs.Cancelled},
		CycleTime: Percentiles{P50: r.CycleTime.P50, P90: r.CycleTime.P90},
		Steps:     make([]ReportStep, 0, len(r.Steps))}
	for _, st := range r.Steps {
		out.Steps = append(out.Steps, ReportStep{Step: st.Step, Tasks: st.Tasks, Completed: st.Completed,
			Wait: Percentiles{P50: st.Wait.P50, P90: st.Wait.P90}, Overdue: st.Overdue, Rework: st.Rework,
			Exceptions: st.Exceptions, Rejected: st.Rejected})
	}
	return out, nil
}

func (s *Server) definitionReport(c echo.Context) error {
	r, err := s.DefinitionReport(c.Request().Context(), caller(c), ReportQuery{
		Definition: c.Param("key"), From: c.QueryParam("from"), To: c.QueryParam("to")})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// reportWindow parses the from and to parameters: RFC 3339 times or YYYY-MM-DD dates
// (UTC; a date as `to` includes that whole day). to defaults to now and from to 30 days
// before to; from must come before to.
func reportWindow(fromParam, toParam string, now time.Time) (time.Time, time.Time, error) {
	to := now
	if toParam != "" {
		t, err := parseReportTime(toParam, true)
		if err != nil {
			return time.Time{}, time.Time{}, invalid("to is not a date", FieldError{"to", err.Error()})
		}
		to = t
	}
	from := to.AddDate(0, 0, -reportDays)
	if fromParam != "" {
		t, err := parseReportTime(fromParam, false)
		if err != nil {
			return time.Time{}, time.Time{}, invalid("from is not a date", FieldError{"from", err.Error()})
		}
		from = t
	}
	if !from.Before(to) {
		return time.Time{}, time.Time{}, invalid("from must be before to",
			FieldError{"from", "must be before to (" + to.Format(time.RFC3339) + ")"})
	}
	return from, to, nil
}

// parseReportTime reads an RFC 3339 time or a YYYY-MM-DD date (midnight UTC; the next
// midnight when end is set, so that the day is included).
func parseReportTime(s string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, errors.New("must be an RFC 3339 time (2027-01-31T17:00:00Z) or a date (2027-01-31)")
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}
