package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// taskResource is a task as the API shows it (spec §4).
type taskResource struct {
	ID              string     `json:"id"`
	RunID           string     `json:"run_id"`
	StepID          string     `json:"step_id"`
	Definition      string     `json:"definition"`
	Title           string     `json:"title"`
	Description     string     `json:"description,omitempty"`
	Kind            string     `json:"kind"`
	Status          string     `json:"status"`
	Assignees       []string   `json:"assignees"`
	CandidateGroups []string   `json:"candidate_groups"`
	ClaimedBy       string     `json:"claimed_by,omitempty"`
	DueAt           *time.Time `json:"due_at"`
	Overdue         bool       `json:"overdue"`
	// Form is []definitions.Field, or the stored JSON of one for a task read from the
	// inbox projection: a list answers with what was stored instead of decoding and
	// re-encoding every task's form (a tenth of an inbox read's time).
	Form    any    `json:"form"`
	Outcome string `json:"outcome,omitempty"`
	// Data is the completion's data, as a map or as stored JSON; nil when there is none.
	Data        any        `json:"data,omitempty"`
	CompletedBy string     `json:"completed_by,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
}

type completeRequest struct {
	Data    map[string]any `json:"data"`
	Outcome string         `json:"outcome,omitempty"`
	Comment string         `json:"comment,omitempty"`
}

type completeResponse struct {
	Task taskResource `json:"task"`
	Run  struct {
		Status    string         `json:"status"`
		OpenTasks []taskResource `json:"open_tasks"`
	} `json:"run"`
}

func (s *Server) listTasks(c echo.Context) error {
	me := caller(c)
	who := c.QueryParam("assignee")
	if who == "" || who == "me" {
		who = me.ID
	}
	user := me
	if who != me.ID {
		if !hasRole(me, roleAdmin) {
			return problem(http.StatusForbidden, "only admins may read another user's inbox")
		}
		u, err := s.db.User(c.Request().Context(), who)
		if err != nil {
			if errors.Is(err, postgres.ErrNotFound) {
				return invalid("unknown user", FieldError{Field: "assignee", Message: fmt.Sprintf("no user %q", who)})
			}
			return err
		}
		user = u
	}
	f := postgres.TaskFilter{Assignee: user.ID, Groups: user.Groups, Definition: c.QueryParam("definition"),
		After: c.QueryParam("page_token"), Now: time.Now().UTC()}
	switch f.Status = c.QueryParam("status"); f.Status {
	case "":
		f.Status = workflows.TaskOpen
	case "any":
		f.Status = ""
	case workflows.TaskOpen, workflows.TaskCompleted, workflows.TaskCancelled:
	default:
		return invalid("unknown status", FieldError{Field: "status", Message: "must be open, completed, cancelled or any"})
	}
	if v := c.QueryParam("overdue"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return invalid("overdue must be true or false", FieldError{Field: "overdue", Message: "must be true or false"})
		}
		f.Overdue = &b
	}
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	f.Limit = limit
	// An inbox page (open tasks, no overdue filter) is answered from memory while it is
	// current: the read caches (cache.go) know when its inboxes change, and it expires
	// when the first task on it becomes overdue.
	cacheKey, st, cached := "", stamp{}, false
	if s.caches != nil && f.Status == workflows.TaskOpen && f.Overdue == nil {
		principals := postgres.InboxPrincipals(f.Assignee, f.Groups)
		if st, cached = s.caches.inboxStamp(principals); cached {
			cacheKey = strings.Join([]string{strings.Join(principals, "\n"), f.Definition, f.After, strconv.Itoa(limit)}, "\x00")
			if body := s.caches.page(cacheKey, st, f.Now); body != nil {
				return jsonBody(c, body)
			}
		}
	}
	tasks, next, err := s.db.ListTasks(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := taskList{Tasks: make([]taskResource, 0, len(tasks)), NextPageToken: next}
	expires := time.Time{}
	for _, t := range tasks {
		out.Tasks = append(out.Tasks, taskFromRow(t))
		if t.DueAt != nil && !f.Now.After(*t.DueAt) && (expires.IsZero() || t.DueAt.Before(expires)) {
			expires = *t.DueAt
		}
	}
	body, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encode tasks: %w", err)
	}
	body = append(body, '\n')
	if cached {
		if expires.IsZero() {
			expires = f.Now.Add(24 * time.Hour)
		}
		s.caches.putPage(cacheKey, st, body, expires)
	}
	return jsonBody(c, body)
}

// jsonBody answers 200 with an encoded JSON body. With its length known, net/http
// writes it at once instead of in chunks.
func jsonBody(c echo.Context, body []byte) error {
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	return c.JSONBlob(http.StatusOK, body)
}

// taskList is a page of tasks.
type taskList struct {
	NextPageToken string         `json:"next_page_token"`
	Tasks         []taskResource `json:"tasks"`
}

func (s *Server) getTask(c echo.Context) error {
	t, err := s.task(c)
	if err != nil {
		return err
	}
	r := taskFromRow(t)
	if r.Status == workflows.TaskOpen {
		form, err := fields(t)
		if err != nil {
			return err
		}
		if r.Form, err = s.resolveForm(c, t, form); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, r)
}

// resolveForm resolves an open task's form for the run's current data: each field says
// whether it is visible now (its visible_when over the run data and the defaults).
func (s *Server) resolveForm(c echo.Context, t postgres.Task, form []definitions.Field) ([]definitions.Field, error) {
	ctx := c.Request().Context()
	run, err := s.db.Run(ctx, t.RunID)
	if err != nil {
		return nil, err
	}
	d, err := s.db.DefinitionVersion(ctx, run.Definition, run.Version)
	if err != nil {
		return nil, err
	}
	prog, err := program(d)
	if err != nil {
		return nil, err
	}
	v, err := s.temporal.QueryWorkflow(ctx, t.RunID, "", workflows.QueryState)
	if err != nil {
		return nil, fmt.Errorf("query run %s: %w", t.RunID, err)
	}
	var state workflows.RunState
	if err := v.Get(&state); err != nil {
		return nil, fmt.Errorf("decode state of run %s: %w", t.RunID, err)
	}
	vars := stateVars(state, time.Now().UTC())
	values := map[string]any{}
	for _, f := range form {
		if f.Default != nil {
			values[f.ID] = f.Default
		}
	}
	vars.Form = values
	out := make([]definitions.Field, len(form))
	for i, f := range form {
		visible := true
		if f.VisibleWhen != "" {
			visible, _ = s.engine.EvalBool(prog, f.VisibleWhen, vars) // an error reads as visible: never hide a field by mistake
		}
		f.Visible = &visible
		out[i] = f
	}
	return out, nil
}

// stateVars is what CEL sees of a run, from its state.
func stateVars(st workflows.RunState, now time.Time) definitions.Vars {
	steps := make(map[string]definitions.StepVars, len(st.Steps))
	for _, s := range st.Steps {
		sv := definitions.StepVars{Data: s.Data, Outcome: s.Outcome, CompletedBy: s.CompletedBy, Status: s.Status}
		if s.CompletedAt != nil {
			sv.CompletedAt = *s.CompletedAt
		}
		steps[s.ID] = sv
	}
	return definitions.Vars{Inputs: st.Inputs, Steps: steps, Now: now, Run: definitions.RunVars{
		ID: st.ID, StartedBy: st.StartedBy, Definition: st.Definition, StartedAt: st.StartedAt, Version: st.Version}}
}

// task loads the task named in the path: a 404 unless the caller may see its run.
func (s *Server) task(c echo.Context) (postgres.Task, error) {
	t, err := s.db.Task(c.Request().Context(), c.Param("id"))
	if err != nil {
		return t, notFound(err, "task %q", c.Param("id"))
	}
	setLogRunID(c, t.RunID)
	return t, s.seeTask(c, t)
}

// completeTask sends the completion to the run as an Update. The run validates it
// (form rules, eligibility, task still open) before anything is written to history.
func (s *Server) completeTask(c echo.Context) error {
	var req completeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := checkPayload("data", req.Data); err != nil {
		return err
	}
	t, err := s.task(c)
	if err != nil {
		return err
	}
	me := caller(c)
	if !mayWorkOn(me, t) {
		return problem(http.StatusForbidden, "you are not assigned to this task")
	}
	key := c.Request().Header.Get("Idempotency-Key") // checkParams checked it
	if t.Status != workflows.TaskOpen && key == "" {
		return problem(http.StatusConflict, fmt.Sprintf("task %s is %s", t.ID, t.Status))
	}
	updateID := ""
	if key != "" {
		updateID = "complete/" + t.ID + "/" + key
	}
	var res workflows.CompleteResult
	err = s.update(c.Request().Context(), t.RunID, workflows.UpdateComplete, updateID, workflows.CompleteRequest{
		TaskID: t.ID, Actor: me.ID, Data: req.Data, Outcome: req.Outcome, Comment: req.Comment,
		IdempotencyKey: key, ActorGroups: me.Groups, Admin: me.Role == roleAdmin,
	}, &res)
	if p := (*Problem)(nil); errors.As(err, &p) && p.Status == http.StatusNotFound {
		return problem(http.StatusConflict, fmt.Sprintf("task %s is not open: its run has ended", t.ID))
	}
	if err != nil {
		return err
	}
	var out completeResponse
	out.Task = taskFromRun(res.Task)
	out.Run.Status = res.Run.Status
	out.Run.OpenTasks = make([]taskResource, 0, len(res.Run.OpenTasks))
	for _, o := range res.Run.OpenTasks {
		out.Run.OpenTasks = append(out.Run.OpenTasks, taskFromRun(o))
	}
	return c.JSON(http.StatusOK, out)
}

// taskFromRun converts a task of the run state.
func taskFromRun(t workflows.Task) taskResource {
	r := taskResource{ID: t.ID, RunID: t.RunID, StepID: t.StepID, Definition: t.Definition,
		Title: t.Title, Description: t.Description, Kind: t.Kind, Status: t.Status,
		Assignees: nonNil(t.Assignees), CandidateGroups: nonNil(t.CandidateGroups), ClaimedBy: t.ClaimedBy,
		DueAt: t.DueAt, Outcome: t.Outcome, CompletedBy: t.CompletedBy,
		CreatedAt: t.CreatedAt, CompletedAt: t.CompletedAt}
	if t.Form != nil {
		r.Form = t.Form
	}
	if t.Data != nil {
		r.Data = t.Data
	}
	return r.withOverdue(time.Now())
}

// taskFromRow converts a task of the inbox projection; its form and data stay the JSON
// Postgres holds (a jsonb column: valid JSON).
func taskFromRow(t postgres.Task) taskResource {
	r := taskResource{ID: t.ID, RunID: t.RunID, StepID: t.StepID, Definition: t.Definition,
		Title: t.Title, Description: t.Description, Kind: t.Kind, Status: t.Status,
		Assignees: nonNil(t.Assignees), CandidateGroups: nonNil(t.CandidateGroups), ClaimedBy: t.ClaimedBy,
		DueAt: t.DueAt, Outcome: t.Outcome, CompletedBy: t.CompletedBy, CreatedAt: t.CreatedAt, CompletedAt: t.CompletedAt}
	if len(t.Form) > 0 && string(t.Form) != "null" {
		r.Form = t.Form
	}
	if len(t.Data) > 0 && string(t.Data) != "null" {
		r.Data = t.Data
	}
	return r.withOverdue(time.Now())
}

// fields decodes a projection task's stored form.
func fields(t postgres.Task) ([]definitions.Field, error) {
	form := []definitions.Field{}
	if len(t.Form) > 0 {
		if err := json.Unmarshal(t.Form, &form); err != nil {
			return nil, fmt.Errorf("decode form of task %s: %w", t.ID, err)
		}
	}
	return form, nil
}

func (r taskResource) withOverdue(now time.Time) taskResource {
	if r.Form == nil {
		r.Form = []definitions.Field{}
	}
	r.Overdue = r.Status == workflows.TaskOpen && r.DueAt != nil && now.After(*r.DueAt)
	return r
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// pageLimit reads the limit query parameter: 1 to 200, default 50.
func pageLimit(c echo.Context) (int, error) {
	v := c.QueryParam("limit")
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 200 {
		return 0, invalid("limit must be between 1 and 200", FieldError{Field: "limit", Message: "must be an integer from 1 to 200"})
	}
	return n, nil
}
