package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// Task is a task as the API shows it (spec §4).
type Task struct {
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
	// Form is the task's form. GetTask resolves an open task's form for the run's
	// current data: each field says whether it shows now.
	Form []FormField `json:"form"`
	// Outcomes are the choices that complete an open task, where the run was asked
	// (GetTask, and the open tasks of an answer from the run).
	Outcomes []Outcome `json:"outcomes,omitempty"`
	// Approval is an open approval's policy and its votes so far, where the run was asked.
	Approval *Approval `json:"approval,omitempty"`
	Outcome  string    `json:"outcome,omitempty"`
	// Data is the form data it was completed with.
	Data        map[string]any `json:"data,omitempty"`
	CompletedBy string         `json:"completed_by,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
	CompletedAt *time.Time     `json:"completed_at,omitempty"`
}

// TaskQuery selects tasks for ListTasks.
type TaskQuery struct {
	// Assignee is whose inbox: "" or "me" for the caller's; another user's for admins.
	Assignee string
	// Status is open (""), completed, cancelled or any.
	Status     string
	Definition string
	// Overdue selects overdue tasks (true) or the others (false); nil selects both.
	Overdue *bool
	// Search selects tasks whose title or run summary holds this text, case ignored
	// (at most 200 characters).
	Search    string
	PageToken string
	// Limit is the page size, 1 to 200; 0 means 50.
	Limit int
}

// TaskPage is a page of tasks.
type TaskPage struct {
	NextPageToken string       `json:"next_page_token"`
	Tasks         []ListedTask `json:"tasks"`
}

// ListedTask is a task in a list: lean, without its form (GetTask has it). Its Form
// hides the Task's from JSON.
type ListedTask struct {
	Task
	Form *struct{} `json:"form,omitempty"`
}

// CompleteTaskRequest completes a task (or votes on an approval).
type CompleteTaskRequest struct {
	TaskID  string         `json:"-"`
	Data    map[string]any `json:"data"`
	Outcome string         `json:"outcome,omitempty"`
	Comment string         `json:"comment,omitempty"`
	// IdempotencyKey makes a repeated completion answer the first one's result
	// (the Idempotency-Key header); at most 200 characters.
	IdempotencyKey string `json:"-"`
}

// CompleteTaskResult is the completed task and how its run stands.
type CompleteTaskResult struct {
	Task Task       `json:"task"`
	Run  RunSummary `json:"run"`
}

// RunSummary is how a run stands after a change: its status and its open tasks.
type RunSummary struct {
	Status    string `json:"status"`
	OpenTasks []Task `json:"open_tasks"`
}

// ListTasks answers an inbox: the open tasks of the caller (or, for admins, of another
// user) and of their groups that nobody else has claimed, or the ones of another status.
func (s *Server) ListTasks(ctx context.Context, me postgres.User, q TaskQuery) (TaskPage, error) {
	f, err := s.taskFilter(ctx, me, q)
	if err != nil {
		return TaskPage{}, err
	}
	return s.taskPage(ctx, f)
}

// maxSearch bounds an inbox's search text.
const maxSearch = 200

// taskFilter checks a task query and resolves whose inbox it reads.
func (s *Server) taskFilter(ctx context.Context, me postgres.User, q TaskQuery) (postgres.TaskFilter, error) {
	user := me
	if q.Assignee != "" && q.Assignee != "me" && q.Assignee != me.ID {
		if !hasRole(me, roleAdmin) {
			return postgres.TaskFilter{}, problem(http.StatusForbidden, "only admins may read another user's inbox")
		}
		u, err := s.db.User(ctx, q.Assignee)
		if err != nil {
			if errors.Is(err, postgres.ErrNotFound) {
				return postgres.TaskFilter{}, invalid("unknown user", FieldError{Field: "assignee", Message: fmt.Sprintf("no user %q", q.Assignee)})
			}
			return postgres.TaskFilter{}, err
		}
		user = u
	}
	if len(q.Search) > maxSearch {
		return postgres.TaskFilter{}, invalid("the search text is too long",
			FieldError{Field: "q", Message: fmt.Sprintf("must be at most %d characters", maxSearch)})
	}
	f := postgres.TaskFilter{Assignee: user.ID, Groups: user.Groups, Definition: q.Definition,
		Overdue: q.Overdue, Search: q.Search, After: q.PageToken, Now: time.Now().UTC()}
	switch f.Status = q.Status; f.Status {
	case "":
		f.Status = workflows.TaskOpen
	case "any":
		f.Status = ""
	case workflows.TaskOpen, workflows.TaskCompleted, workflows.TaskCancelled:
	default:
		return f, invalid("unknown status", FieldError{Field: "status", Message: "must be open, completed, cancelled or any"})
	}
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return f, err
	}
	f.Limit = limit
	return f, nil
}

func (s *Server) taskPage(ctx context.Context, f postgres.TaskFilter) (TaskPage, error) {
	tasks, next, err := s.db.ListTasks(ctx, f)
	if err != nil {
		return TaskPage{}, err
	}
	out := TaskPage{Tasks: make([]ListedTask, 0, len(tasks)), NextPageToken: next}
	for _, t := range tasks {
		t.Form = nil // lean: not decoded, not answered
		r, err := taskFromRow(t)
		if err != nil {
			return TaskPage{}, err
		}
		out.Tasks = append(out.Tasks, ListedTask{Task: r})
	}
	return out, nil
}

// GetTask answers one task to whoever may see its run (a 404 to anyone else). An open task comes with its choices and its form resolved for the run's current
// data, as the run holds them.
func (s *Server) GetTask(ctx context.Context, me postgres.User, id string) (Task, error) {
	t, err := s.task(ctx, me, id)
	if err != nil {
		return Task{}, err
	}
	r, err := taskFromRow(t)
	if err != nil || r.Status != workflows.TaskOpen {
		return r, err
	}
	open, err := s.openTask(ctx, t)
	if err != nil {
		return Task{}, err
	}
	r.Form = open.resolve(s.engine, nil).Fields
	if open.task != nil {
		r.Outcomes, r.Approval = taskChoices(*open.task)
	}
	return r, nil
}

// task loads a task of the inbox projection: a 404 unless the caller may see its run.
func (s *Server) task(ctx context.Context, me postgres.User, id string) (postgres.Task, error) {
	t, err := s.db.Task(ctx, id)
	if err != nil {
		return t, notFound(err, "task %q", id)
	}
	logRunID(ctx, t.RunID)
	return t, s.seeTask(ctx, me, t)
}

// CompleteTask sends the completion to the run as an Update. The run validates it
// (form rules, outcome, eligibility, task still open) before anything is written to
// history; its refusals come back as problems naming every field at fault.
func (s *Server) CompleteTask(ctx context.Context, me postgres.User, req CompleteTaskRequest) (CompleteTaskResult, error) {
	if len(req.IdempotencyKey) > 200 { // the HTTP transport's checkParams refuses it first
		return CompleteTaskResult{}, invalid("Idempotency-Key is too long",
			FieldError{Field: "Idempotency-Key", Message: "must be at most 200 characters"})
	}
	if err := checkPayload("data", req.Data); err != nil {
		return CompleteTaskResult{}, err
	}
	t, err := s.task(ctx, me, req.TaskID)
	if err != nil {
		return CompleteTaskResult{}, err
	}
	if !mayWorkOn(me, t) {
		return CompleteTaskResult{}, problem(http.StatusForbidden, "you are not assigned to this task")
	}
	if t.Status != workflows.TaskOpen && req.IdempotencyKey == "" {
		return CompleteTaskResult{}, problem(http.StatusConflict, fmt.Sprintf("task %s is %s", t.ID, t.Status))
	}
	updateID := ""
	if req.IdempotencyKey != "" {
		updateID = "complete/" + t.ID + "/" + req.IdempotencyKey
	}
	var res workflows.CompleteResult
	err = s.update(ctx, t.RunID, workflows.UpdateComplete, updateID, workflows.CompleteRequest{
		TaskID: t.ID, Actor: me.ID, Data: req.Data, Outcome: req.Outcome, Comment: req.Comment,
		IdempotencyKey: req.IdempotencyKey, ActorGroups: me.Groups, Admin: me.Role == roleAdmin,
	}, &res)
	if p := (*Problem)(nil); errors.As(err, &p) && p.Status == http.StatusNotFound {
		return CompleteTaskResult{}, problem(http.StatusConflict, fmt.Sprintf("task %s is not open: its run has ended", t.ID))
	}
	if err != nil {
		return CompleteTaskResult{}, err
	}
	return CompleteTaskResult{Task: taskFromRun(res.Task), Run: runSummary(res.Run)}, nil
}

// taskFromRun converts a task of the run state.
func taskFromRun(t workflows.Task) Task {
	r := Task{ID: t.ID, RunID: t.RunID, StepID: t.StepID, Definition: t.Definition,
		Title: t.Title, Description: t.Description, Kind: t.Kind, Status: t.Status,
		Assignees: nonNil(t.Assignees), CandidateGroups: nonNil(t.CandidateGroups), ClaimedBy: t.ClaimedBy,
		DueAt: t.DueAt, Form: formFields(t.Form), Outcome: t.Outcome, Data: t.Data, CompletedBy: t.CompletedBy,
		CreatedAt: t.CreatedAt, CompletedAt: t.CompletedAt}
	if t.Status == workflows.TaskOpen {
		r.Outcomes, r.Approval = taskChoices(t)
	}
	return r.withOverdue(time.Now())
}

// taskFromRow converts a task of the inbox projection, whose form and data are JSON.
func taskFromRow(t postgres.Task) (Task, error) {
	r := Task{ID: t.ID, RunID: t.RunID, StepID: t.StepID, Definition: t.Definition,
		Title: t.Title, Description: t.Description, Kind: t.Kind, Status: t.Status,
		Assignees: nonNil(t.Assignees), CandidateGroups: nonNil(t.CandidateGroups), ClaimedBy: t.ClaimedBy,
		DueAt: t.DueAt, Outcome: t.Outcome, CompletedBy: t.CompletedBy, CreatedAt: t.CreatedAt, CompletedAt: t.CompletedAt}
	if len(t.Form) > 0 {
		if err := json.Unmarshal(t.Form, &r.Form); err != nil {
			return r, fmt.Errorf("decode form of task %s: %w", t.ID, err)
		}
	}
	if len(t.Data) > 0 {
		if err := json.Unmarshal(t.Data, &r.Data); err != nil {
			return r, fmt.Errorf("decode data of task %s: %w", t.ID, err)
		}
	}
	return r.withOverdue(time.Now()), nil
}

func (r Task) withOverdue(now time.Time) Task {
	if r.Form == nil {
		r.Form = []FormField{}
	}
	r.Overdue = r.Status == workflows.TaskOpen && r.DueAt != nil && now.After(*r.DueAt)
	return r
}

func runSummary(r workflows.RunSummary) RunSummary {
	out := RunSummary{Status: r.Status, OpenTasks: make([]Task, 0, len(r.OpenTasks))}
	for _, t := range r.OpenTasks {
		out.OpenTasks = append(out.OpenTasks, taskFromRun(t))
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// PageRequest asks for a page of a list: the token the previous page answered, and
// the page size (1 to 200; 0 means 50).
type PageRequest struct {
	PageToken string
	Limit     int
}

// pageLimit checks a page size: 1 to 200, 0 for the default 50.
func pageLimit(n int) (int, error) {
	switch {
	case n == 0:
		return 50, nil
	case n < 1 || n > 200:
		return 0, invalid("limit must be between 1 and 200", FieldError{Field: "limit", Message: "must be an integer from 1 to 200"})
	}
	return n, nil
}

// ---- HTTP

func (s *Server) listTasks(c echo.Context) error {
	q := TaskQuery{Assignee: c.QueryParam("assignee"), Status: c.QueryParam("status"),
		Definition: c.QueryParam("definition"), Search: strings.TrimSpace(c.QueryParam("q")),
		PageToken: c.QueryParam("page_token")}
	if v := c.QueryParam("overdue"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return invalid("overdue must be true or false", FieldError{Field: "overdue", Message: "must be true or false"})
		}
		q.Overdue = &b
	}
	var err error
	if q.Limit, err = queryLimit(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	f, err := s.taskFilter(ctx, caller(c), q)
	if err != nil {
		return err
	}
	page, err := s.taskPage(ctx, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

// pageRequest reads the page_token and limit query parameters.
func pageRequest(c echo.Context) (PageRequest, error) {
	limit, err := queryLimit(c)
	return PageRequest{PageToken: c.QueryParam("page_token"), Limit: limit}, err
}

// queryLimit reads the limit query parameter (0 when absent).
func queryLimit(c echo.Context) (int, error) {
	v := c.QueryParam("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n == 0 {
		return pageLimit(-1)
	}
	return n, nil
}

func (s *Server) getTask(c echo.Context) error {
	t, err := s.GetTask(c.Request().Context(), caller(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (s *Server) completeTask(c echo.Context) error {
	var req CompleteTaskRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.TaskID, req.IdempotencyKey = c.Param("id"), c.Request().Header.Get("Idempotency-Key")
	res, err := s.CompleteTask(c.Request().Context(), caller(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
