package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// ScheduleRequest creates a schedule: cron or interval, and the inputs every run gets.
type ScheduleRequest struct {
	ID         string         `json:"id,omitempty"`
	Definition string         `json:"definition"`
	Version    int            `json:"version,omitempty"`
	Cron       string         `json:"cron,omitempty"`
	Interval   string         `json:"interval,omitempty"`
	TimeZone   string         `json:"time_zone,omitempty"`
	Overlap    string         `json:"overlap,omitempty"`
	Inputs     map[string]any `json:"inputs"`
	Paused     bool           `json:"paused,omitempty"`
	Note       string         `json:"note,omitempty"`
}

// overlapPolicies are the overlap values the API accepts, as Temporal knows them.
var overlapPolicies = map[string]enumspb.ScheduleOverlapPolicy{
	"skip":            enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
	"buffer_one":      enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE,
	"buffer_all":      enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL,
	"cancel_other":    enumspb.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER,
	"terminate_other": enumspb.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER,
	"allow_all":       enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
}

var scheduleIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)

const (
	minInterval = time.Second
	maxNote     = 1000
)

// check reports every field at fault (before the definition is looked up).
func (r *ScheduleRequest) check() []FieldError {
	var errs []FieldError
	bad := func(field, msg string) { errs = append(errs, FieldError{Field: field, Message: msg}) }
	if r.ID != "" && !scheduleIDPattern.MatchString(r.ID) {
		bad("id", "must be a letter or digit followed by up to 62 letters, digits, '-' or '_'")
	}
	if r.Definition == "" {
		bad("definition", "is required")
	}
	if r.Version < 0 {
		bad("version", "must be 1 or more")
	}
	switch {
	case r.Cron == "" && r.Interval == "":
		bad("cron", "cron or interval is required")
	case r.Cron != "" && r.Interval != "":
		bad("interval", "give cron or interval, not both")
	case r.Interval != "":
		if d, err := time.ParseDuration(r.Interval); err != nil || d < minInterval {
			bad("interval", fmt.Sprintf("must be a duration of at least %s, such as \"15m\" or \"24h\"", minInterval))
		}
	}
	if r.TimeZone != "" {
		if _, err := time.LoadLocation(r.TimeZone); err != nil {
			bad("time_zone", "must be an IANA time zone such as \"Europe/Paris\"")
		}
	}
	if r.Overlap == "" {
		r.Overlap = "skip"
	}
	if _, ok := overlapPolicies[r.Overlap]; !ok {
		bad("overlap", "must be skip, buffer_one, buffer_all, cancel_other, terminate_other or allow_all")
	}
	if len(r.Note) > maxNote {
		bad("note", fmt.Sprintf("must be at most %d bytes", maxNote))
	}
	return errs
}

// CreateSchedule creates a Temporal Schedule starting runs of a definition version: the
// one given, or the latest at creation (designers). The program is snapshotted into the
// schedule, so publishing a new version does not change it (recreate the schedule to move on).
func (s *Server) CreateSchedule(ctx context.Context, me postgres.User, req ScheduleRequest) (Schedule, error) {
	if err := need(me, roleDesigner); err != nil {
		return Schedule{}, err
	}
	if errs := req.check(); len(errs) > 0 {
		return Schedule{}, invalid("the schedule is invalid", errs...)
	}
	d, err := s.definitionFor(ctx, req.Definition, req.Version)
	if err != nil {
		return Schedule{}, err
	}
	prog, err := program(d)
	if err != nil {
		return Schedule{}, err
	}
	if req.ID == "" {
		req.ID = randomSuffix()
	}
	who := "schedule:" + req.ID
	inputs, err := s.validateInputs(prog, d.Version, "", who, req.Inputs)
	if err != nil {
		return Schedule{}, err
	}
	inputsJSON, err := json.Marshal(inputs)
	if err != nil {
		return Schedule{}, fmt.Errorf("encode schedule inputs: %w", err)
	}
	rs := runStart{prog: prog, version: d.Version, inputs: inputs, startedBy: who,
		workflowID: prog.Key + "-sched-" + req.ID}
	rec := postgres.Schedule{ID: req.ID, Definition: prog.Key, Version: d.Version, Cron: req.Cron, Every: req.Interval,
		TimeZone: req.TimeZone, Overlap: req.Overlap, Inputs: inputsJSON, CreatedBy: me.ID}
	rec, err = s.db.CreateSchedule(ctx, rec, func(ctx context.Context) error {
		_, err := s.temporal.ScheduleClient().Create(ctx, s.scheduleOptions(req, rs))
		return err
	})
	if err != nil {
		return Schedule{}, scheduleCreateProblem(err, req)
	}
	return s.describeSchedule(ctx, rec)
}

// scheduleOptions is the Temporal Schedule of a request: its spec, policies and the run it starts.
func (s *Server) scheduleOptions(req ScheduleRequest, rs runStart) client.ScheduleOptions {
	spec := client.ScheduleSpec{TimeZoneName: req.TimeZone}
	if req.Cron != "" {
		spec.CronExpressions = []string{req.Cron}
	} else {
		every, _ := time.ParseDuration(req.Interval) // checked
		spec.Intervals = []client.ScheduleIntervalSpec{{Every: every}}
	}
	start := s.startOptions(rs)
	// The stored input starts runs for as long as the schedule lives, across deploys:
	// it pins no interpreter version, so each run takes the version of the worker that
	// first runs it.
	in := s.runInput(rs)
	in.Interpreter = 0
	return client.ScheduleOptions{
		ID:   req.ID,
		Spec: spec,
		Action: &client.ScheduleWorkflowAction{
			ID:                    rs.workflowID,
			Workflow:              workflows.WorkflowName,
			Args:                  []any{in},
			TaskQueue:             s.cfg.TaskQueue,
			TypedSearchAttributes: start.TypedSearchAttributes,
			StaticSummary:         start.StaticSummary,
			StaticDetails:         start.StaticDetails,
		},
		Overlap: overlapPolicies[req.Overlap],
		Paused:  req.Paused,
		Note:    req.Note,
		Memo:    map[string]any{"handoff_definition": rs.prog.Key},
	}
}

// scheduleCreateProblem maps what creating a schedule can fail with.
func scheduleCreateProblem(err error, req ScheduleRequest) error {
	var bad *serviceerror.InvalidArgument
	switch {
	case errors.Is(err, postgres.ErrConflict), errors.Is(err, temporal.ErrScheduleAlreadyRunning):
		return problem(http.StatusConflict, fmt.Sprintf("a schedule %q already exists", req.ID))
	case errors.As(err, &bad):
		field := "interval"
		if req.Cron != "" {
			field = "cron"
		}
		return invalid("Temporal refused the schedule", FieldError{Field: field, Message: bad.Message})
	}
	return err
}

// ListSchedules lists the schedules, of one definition when it is given (designers).
func (s *Server) ListSchedules(ctx context.Context, me postgres.User, definition string) ([]Schedule, error) {
	if err := need(me, roleDesigner); err != nil {
		return nil, err
	}
	recs, err := s.db.ListSchedules(ctx, definition, 0)
	if err != nil {
		return nil, err
	}
	out := make([]Schedule, 0, len(recs))
	for _, rec := range recs {
		r, err := s.describeSchedule(ctx, rec)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// GetSchedule answers a schedule as asked for and as it stands in Temporal (designers).
func (s *Server) GetSchedule(ctx context.Context, me postgres.User, id string) (Schedule, error) {
	if err := need(me, roleDesigner); err != nil {
		return Schedule{}, err
	}
	rec, err := s.schedule(ctx, id)
	if err != nil {
		return Schedule{}, err
	}
	return s.describeSchedule(ctx, rec)
}

// DeleteSchedule deletes a schedule from Temporal and Handoff (designers).
func (s *Server) DeleteSchedule(ctx context.Context, me postgres.User, id string) error {
	if err := need(me, roleDesigner); err != nil {
		return err
	}
	err := s.db.DeleteSchedule(ctx, id, func(ctx context.Context) error {
		err := s.temporal.ScheduleClient().GetHandle(ctx, id).Delete(ctx)
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return nil // already gone from Temporal: forget it here too
		}
		return err
	})
	return notFound(err, "schedule %q", id)
}

// ScheduleNote pauses or unpauses a schedule, with an optional note saying why.
type ScheduleNote struct {
	ID   string `json:"-"`
	Note string `json:"note,omitempty"`
}

// PauseSchedule stops a schedule from starting runs until it is unpaused (designers).
func (s *Server) PauseSchedule(ctx context.Context, me postgres.User, req ScheduleNote) (Schedule, error) {
	return s.setPaused(ctx, me, req, true)
}

// UnpauseSchedule lets a paused schedule start runs again (designers).
func (s *Server) UnpauseSchedule(ctx context.Context, me postgres.User, req ScheduleNote) (Schedule, error) {
	return s.setPaused(ctx, me, req, false)
}

func (s *Server) setPaused(ctx context.Context, me postgres.User, req ScheduleNote, pause bool) (Schedule, error) {
	if err := need(me, roleDesigner); err != nil {
		return Schedule{}, err
	}
	if len(req.Note) > maxNote {
		return Schedule{}, invalid("the note is too long", FieldError{Field: "note", Message: fmt.Sprintf("must be at most %d bytes", maxNote)})
	}
	rec, err := s.schedule(ctx, req.ID)
	if err != nil {
		return Schedule{}, err
	}
	h := s.temporal.ScheduleClient().GetHandle(ctx, rec.ID)
	if pause {
		err = h.Pause(ctx, client.SchedulePauseOptions{Note: req.Note})
	} else {
		err = h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: req.Note})
	}
	if err != nil {
		return Schedule{}, fmt.Errorf("set schedule %s paused=%t: %w", rec.ID, pause, err)
	}
	r, err := s.describeSchedule(ctx, rec)
	if err != nil {
		return Schedule{}, err
	}
	// Temporal applies the change asynchronously: answer with the state just asked for.
	r.Paused = pause
	if req.Note != "" {
		r.Note = req.Note
	}
	return r, nil
}

// schedule loads a stored schedule.
func (s *Server) schedule(ctx context.Context, id string) (postgres.Schedule, error) {
	rec, err := s.db.Schedule(ctx, id)
	if err != nil {
		return rec, notFound(err, "schedule %q", id)
	}
	return rec, nil
}

// ---- HTTP

func (s *Server) createSchedule(c echo.Context) error {
	var req ScheduleRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	sched, err := s.CreateSchedule(c.Request().Context(), caller(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, sched)
}

func (s *Server) listSchedules(c echo.Context) error {
	list, err := s.ListSchedules(c.Request().Context(), caller(c), c.QueryParam("definition"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"schedules": list})
}

func (s *Server) getSchedule(c echo.Context) error {
	sched, err := s.GetSchedule(c.Request().Context(), caller(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sched)
}

func (s *Server) deleteSchedule(c echo.Context) error {
	if err := s.DeleteSchedule(c.Request().Context(), caller(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) pauseSchedule(c echo.Context) error {
	return s.scheduleNoteHandler(c, s.PauseSchedule)
}

func (s *Server) unpauseSchedule(c echo.Context) error {
	return s.scheduleNoteHandler(c, s.UnpauseSchedule)
}

func (s *Server) scheduleNoteHandler(c echo.Context, op func(context.Context, postgres.User, ScheduleNote) (Schedule, error)) error {
	var req ScheduleNote
	if err := decodeOptionalJSON(c, &req); err != nil {
		return err
	}
	req.ID = c.Param("id")
	sched, err := op(c.Request().Context(), caller(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sched)
}
