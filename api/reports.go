package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/postgres"
)

// reportDays is the window a report covers when the request names no start.
const reportDays = 30

type reportResource struct {
	Definition string          `json:"definition"`
	From       string          `json:"from"`
	To         string          `json:"to"`
	Runs       reportRuns      `json:"runs"`
	CycleTime  percentiles     `json:"cycle_time"`
	Steps      []reportStepRes `json:"steps"`
}

type reportRuns struct {
	Started   int `json:"started"`
	Running   int `json:"running"`
	Completed int `json:"completed"`
	Failed    int `json:"failed"`
	Cancelled int `json:"cancelled"`
}

type percentiles struct {
	P50 *float64 `json:"p50_seconds"`
	P90 *float64 `json:"p90_seconds"`
}

type reportStepRes struct {
	Step       string      `json:"step"`
	Tasks      int         `json:"tasks"`
	Completed  int         `json:"completed"`
	Wait       percentiles `json:"wait"`
	Overdue    int         `json:"overdue"`
	Rework     int         `json:"rework"`
	Exceptions int         `json:"exceptions"`
	Rejected   int         `json:"rejected"`
}

// definitionReport answers how a definition's runs went in a window: runs started in
// [from, to) and how they stand, their cycle time, and per step the tasks created in
// the window, their wait, overdue, rework and exceptions.
func (s *Server) definitionReport(c echo.Context) error {
	key := c.Param("key")
	now := time.Now().UTC()
	from, to, err := reportWindow(c.QueryParam("from"), c.QueryParam("to"), now)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.db.LatestDefinition(ctx, key); err != nil {
		return notFound(err, "definition %q", key)
	}
	r, err := s.db.DefinitionReport(ctx, postgres.ReportWindow{Definition: key, From: from, To: to, Now: now})
	if err != nil {
		return err
	}
	out := reportResource{Definition: key, From: from.Format(time.RFC3339), To: to.Format(time.RFC3339),
		Runs: reportRuns{Started: r.Runs.Started, Running: r.Runs.Running, Completed: r.Runs.Completed,
			Failed: r.Runs.Failed, Cancelled: r.Runs.Cancelled},
		CycleTime: percentiles{P50: r.CycleTime.P50, P90: r.CycleTime.P90},
		Steps:     make([]reportStepRes, 0, len(r.Steps))}
	for _, st := range r.Steps {
		out.Steps = append(out.Steps, reportStepRes{Step: st.Step, Tasks: st.Tasks, Completed: st.Completed,
			Wait: percentiles{P50: st.Wait.P50, P90: st.Wait.P90}, Overdue: st.Overdue, Rework: st.Rework,
			Exceptions: st.Exceptions, Rejected: st.Rejected})
	}
	return c.JSON(http.StatusOK, out)
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
