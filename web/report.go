package web

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/api"
)

// The report page: a definition's figures over a date range, from DefinitionReport
// (the same call as GET /v1/reports/definitions/{key}), as charts, tables and CSV.
// Runs per day are the same call for each day of the range.

// maxDailyDays bounds the range drawn day by day (a call per day).
const maxDailyDays = 92

type reportView struct {
	Report api.Report
	From   string // as the form shows them (dates)
	To     string
	Query  string // from=…&to=… for the CSV links
	Charts []reportChart
	Daily  []dailyRow // nil when the range is longer than maxDailyDays
}

type reportChart struct {
	Name  string // the CSV's table parameter
	Title string
	SVG   template.HTML
}

type dailyRow struct {
	Day                        string
	Started, Completed, Failed int
}

// reportQuery reads the range; dates default to the API's (the last 30 days).
func reportQuery(c echo.Context) api.ReportQuery {
	return api.ReportQuery{Definition: c.Param("key"), From: c.QueryParam("from"), To: c.QueryParam("to")}
}

func (s *Server) reportPage(c echo.Context) error {
	q := reportQuery(c)
	r, err := s.api.DefinitionReport(c.Request().Context(), user(c), q)
	if v, ok := formProblem(err); ok {
		return failure(v.status, v.detail+" "+firstField(v.fields))
	}
	if err != nil {
		return err
	}
	v := reportView{Report: r, From: r.From.Format(time.DateOnly), To: r.To.Add(-time.Nanosecond).Format(time.DateOnly)}
	v.Query = "from=" + r.From.Format(time.RFC3339) + "&to=" + r.To.Format(time.RFC3339)
	if daily, err := s.daily(c, r); err != nil {
		return err
	} else {
		v.Daily = daily
	}
	v.Charts = reportCharts(r, v.Daily)
	return s.render(c, http.StatusOK, "report", "", view{Title: "Report: " + r.Definition, Page: v})
}

func firstField(f map[string]string) string {
	for k, m := range f {
		return k + " " + m
	}
	return ""
}

// daily is the report of each day of the range (UTC days), or nil for a long range.
func (s *Server) daily(c echo.Context, r api.Report) ([]dailyRow, error) {
	if r.To.Sub(r.From) > maxDailyDays*24*time.Hour {
		return nil, nil
	}
	var out []dailyRow
	for day := r.From; day.Before(r.To); {
		next := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, time.UTC)
		if next.After(r.To) {
			next = r.To
		}
		d, err := s.api.DefinitionReport(c.Request().Context(), user(c), api.ReportQuery{Definition: r.Definition,
			From: day.Format(time.RFC3339Nano), To: next.Format(time.RFC3339Nano)})
		if err != nil {
			return nil, err
		}
		out = append(out, dailyRow{Day: day.Format(time.DateOnly), Started: d.Runs.Started, Completed: d.Runs.Completed, Failed: d.Runs.Failed})
		day = next
	}
	return out, nil
}

func num(n int) *float64 { v := float64(n); return &v }

func plain(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// seconds writes seconds as minutes, hours or days.
func seconds(sec float64) string {
	d := time.Duration(sec * float64(time.Second))
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.0f s", sec)
	case d < time.Hour:
		return fmt.Sprintf("%.1f min", d.Minutes())
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	}
	return fmt.Sprintf("%.1f days", d.Hours()/24)
}

func reportCharts(r api.Report, daily []dailyRow) []reportChart {
	runs := chart{ID: "c-runs", Title: "Runs started in the range, by how they stand", Series: []string{"runs"}, Format: plain,
		Rows: []chartRow{{"started", []*float64{num(r.Runs.Started)}}, {"running", []*float64{num(r.Runs.Running)}},
			{"completed", []*float64{num(r.Runs.Completed)}}, {"failed", []*float64{num(r.Runs.Failed)}}, {"cancelled", []*float64{num(r.Runs.Cancelled)}}}}
	cycle := chart{ID: "c-cycle", Title: "Cycle time of the completed runs", Series: []string{"p50", "p90"}, Format: seconds,
		Rows: []chartRow{{"cycle time", []*float64{r.CycleTime.P50, r.CycleTime.P90}}}}
	wait := chart{ID: "c-wait", Title: "Wait per step (where work stalls)", Series: []string{"p50", "p90"}, Format: seconds}
	overdue := chart{ID: "c-overdue", Title: "Overdue tasks per step", Series: []string{"overdue"}, Format: plain}
	rework := chart{ID: "c-rework", Title: "Rework per step (send-backs)", Series: []string{"rework"}, Format: plain}
	exceptions := chart{ID: "c-exceptions", Title: "Exceptions per step (fix-its and failures)", Series: []string{"exceptions"}, Format: plain}
	for _, st := range r.Steps {
		wait.Rows = append(wait.Rows, chartRow{st.Step, []*float64{st.Wait.P50, st.Wait.P90}})
		overdue.Rows = append(overdue.Rows, chartRow{st.Step, []*float64{num(st.Overdue)}})
		rework.Rows = append(rework.Rows, chartRow{st.Step, []*float64{num(st.Rework)}})
		exceptions.Rows = append(exceptions.Rows, chartRow{st.Step, []*float64{num(st.Exceptions)}})
	}
	out := []reportChart{{"runs", runs.Title, runs.svg()}}
	if daily != nil {
		d := chart{ID: "c-daily", Title: "Runs started per day, and how many of them completed", Series: []string{"started", "completed"}, Format: plain}
		for _, row := range daily {
			d.Rows = append(d.Rows, chartRow{row.Day, []*float64{num(row.Started), num(row.Completed)}})
		}
		out = append(out, reportChart{"daily", d.Title, d.svg()})
	}
	out = append(out, reportChart{"cycle_time", cycle.Title, cycle.svg()})
	if len(r.Steps) > 0 {
		out = append(out, reportChart{"steps", wait.Title, wait.svg()}, reportChart{"steps", overdue.Title, overdue.svg()},
			reportChart{"steps", rework.Title, rework.svg()}, reportChart{"steps", exceptions.Title, exceptions.svg()})
	}
	return out
}

// reportCSV answers one table of the report as CSV: runs, cycle_time, steps or daily.
// Durations are in seconds, as in the API.
func (s *Server) reportCSV(c echo.Context) error {
	q := reportQuery(c)
	r, err := s.api.DefinitionReport(c.Request().Context(), user(c), q)
	if err != nil {
		return err
	}
	sec := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	var rows [][]string
	table := c.QueryParam("table")
	switch table {
	case "runs":
		rows = [][]string{{"started", "running", "completed", "failed", "cancelled"},
			{strconv.Itoa(r.Runs.Started), strconv.Itoa(r.Runs.Running), strconv.Itoa(r.Runs.Completed), strconv.Itoa(r.Runs.Failed), strconv.Itoa(r.Runs.Cancelled)}}
	case "cycle_time":
		rows = [][]string{{"p50_seconds", "p90_seconds"}, {sec(r.CycleTime.P50), sec(r.CycleTime.P90)}}
	case "steps":
		rows = [][]string{{"step", "tasks", "completed", "wait_p50_seconds", "wait_p90_seconds", "overdue", "rework", "exceptions", "rejected"}}
		for _, st := range r.Steps {
			rows = append(rows, []string{st.Step, strconv.Itoa(st.Tasks), strconv.Itoa(st.Completed), sec(st.Wait.P50), sec(st.Wait.P90),
				strconv.Itoa(st.Overdue), strconv.Itoa(st.Rework), strconv.Itoa(st.Exceptions), strconv.Itoa(st.Rejected)})
		}
	case "daily":
		daily, err := s.daily(c, r)
		if err != nil {
			return err
		}
		if daily == nil {
			return failure(http.StatusBadRequest, fmt.Sprintf("Runs per day are drawn for ranges of up to %d days.", maxDailyDays))
		}
		rows = [][]string{{"day", "started", "completed", "failed"}}
		for _, d := range daily {
			rows = append(rows, []string{d.Day, strconv.Itoa(d.Started), strconv.Itoa(d.Completed), strconv.Itoa(d.Failed)})
		}
	default:
		return failure(http.StatusBadRequest, "The table must be runs, cycle_time, steps or daily.")
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", r.Definition+"-"+table+".csv"))
	h.Set(echo.HeaderCacheControl, "no-store")
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	if err := w.WriteAll(rows); err != nil {
		s.log.Warn("write report csv", "error", err)
	}
	return nil
}
