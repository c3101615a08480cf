package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/labstack/echo/v4"
	"go.temporal.io/api/serviceerror"

	"github.com/handoffhq/handoff/postgres"
)

// Schedule is a schedule as the API shows it: how it was asked for (from Postgres) and
// its state (from Temporal).
type Schedule struct {
	ID         string         `json:"id"`
	Definition string         `json:"definition"`
	Version    int            `json:"version"`
	Cron       string         `json:"cron,omitempty"`
	Interval   string         `json:"interval,omitempty"`
	TimeZone   string         `json:"time_zone,omitempty"`
	Overlap    string         `json:"overlap"`
	Inputs     map[string]any `json:"inputs"`
	CreatedBy  string         `json:"created_by,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`

	Paused        bool             `json:"paused"`
	Note          string           `json:"note,omitempty"`
	NextRunTimes  []time.Time      `json:"next_run_times"`
	RecentActions []ScheduleAction `json:"recent_actions"`
	RunningRuns   []string         `json:"running_runs"`
	Actions       int              `json:"actions"`
	// Missing is true when Temporal no longer has the schedule (deleted outside Handoff).
	Missing bool `json:"missing,omitempty"`
}

// ScheduleAction is one run the schedule started.
type ScheduleAction struct {
	ScheduledAt time.Time `json:"scheduled_at"`
	StartedAt   time.Time `json:"started_at"`
	RunID       string    `json:"run_id,omitempty"`
}

// describeSchedule joins the stored schedule with its state in Temporal.
func (s *Server) describeSchedule(ctx context.Context, rec postgres.Schedule) (Schedule, error) {
	r := Schedule{ID: rec.ID, Definition: rec.Definition, Version: rec.Version, Cron: rec.Cron,
		Interval: rec.Every, TimeZone: rec.TimeZone, Overlap: rec.Overlap, CreatedBy: rec.CreatedBy,
		CreatedAt:    rec.CreatedAt.UTC(),
		NextRunTimes: []time.Time{}, RecentActions: []ScheduleAction{}, RunningRuns: []string{}}
	if err := json.Unmarshal(rec.Inputs, &r.Inputs); err != nil {
		return r, fmt.Errorf("decode inputs of schedule %s: %w", rec.ID, err)
	}
	desc, err := s.temporal.ScheduleClient().GetHandle(ctx, rec.ID).Describe(ctx)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		r.Missing = true
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("describe schedule %s: %w", rec.ID, err)
	}
	if st := desc.Schedule.State; st != nil {
		r.Paused, r.Note = st.Paused, st.Note
	}
	for _, t := range desc.Info.NextActionTimes {
		r.NextRunTimes = append(r.NextRunTimes, t.UTC())
	}
	for _, a := range desc.Info.RecentActions {
		act := ScheduleAction{ScheduledAt: a.ScheduleTime.UTC(), StartedAt: a.ActualTime.UTC()}
		if a.StartWorkflowResult != nil {
			act.RunID = a.StartWorkflowResult.WorkflowID
		}
		r.RecentActions = append(r.RecentActions, act)
	}
	for _, w := range desc.Info.RunningWorkflows {
		r.RunningRuns = append(r.RunningRuns, w.WorkflowID)
	}
	r.Actions = desc.Info.NumActions
	return r, nil
}

// decodeOptionalJSON is decodeJSON for a body that may be left out entirely.
func decodeOptionalJSON(c echo.Context, v any) error {
	r := c.Request()
	br := bufio.NewReader(r.Body)
	if _, err := br.Peek(1); errors.Is(err, io.EOF) {
		return nil
	} else if err != nil {
		return jsonProblem(err)
	}
	r.Body = io.NopCloser(br)
	return decodeJSON(c, v)
}
