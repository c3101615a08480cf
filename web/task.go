package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/workflows"
)

// taskView is the task page's data.
type taskView struct {
	Task api.Task
	Run  *api.Run // the run's summary and context; nil when it cannot be read now
	Form formView
	// Comment is the comment as typed; Error a refusal that names no field.
	Comment, Error string
	// Open: the person may act on it now; Claim: they may claim it first; Release: they
	// hold a group's task and may give it back.
	Open, Claim, Release bool
	Picker               fieldView // the person picker of reassign and delegate
	Outcomes             []api.Outcome
}

// taskPage shows a task: its run's summary and context, its form as the API resolves
// it for the values shown (defaults, or what it was completed with), its choices, and
// what the person may do with it.
func (s *Server) taskPage(c echo.Context) error {
	ctx := c.Request().Context()
	me := user(c)
	t, err := s.api.GetTask(ctx, me, c.Param("id"))
	if err != nil {
		return err
	}
	open := t.Status == workflows.TaskOpen
	return s.renderTask(c, http.StatusOK, t, formValues(t.Form, t.Data, open, zone(c)), "", nil, "")
}

// renderTask renders the task page for the posted (or shown) values vals with the
// API's field errors and a refusal message.
func (s *Server) renderTask(c echo.Context, status int, t api.Task, vals url.Values, comment string, fieldErrs []api.FieldError, refusal string) error {
	ctx := c.Request().Context()
	me := user(c)
	v := taskView{Task: t, Comment: comment, Error: refusal, Outcomes: t.Outcomes}
	v.Open = t.Status == workflows.TaskOpen && api.MayWorkOn(me, t)
	v.Claim = v.Open && t.ClaimedBy == "" && !slices.Contains(t.Assignees, me.ID) && len(t.CandidateGroups) > 0
	v.Open = v.Open && !v.Claim // a group's task is claimed before it is worked on
	v.Release = v.Open && t.ClaimedBy != "" && len(t.CandidateGroups) > 0
	// The form resolved for the values shown and the run's context: two questions to the
	// run, asked at once.
	var (
		hidden         []string
		res            api.ResolvedForm
		run            api.Run
		resErr, runErr error
		wg             sync.WaitGroup
	)
	if v.Open {
		wg.Go(func() {
			res, resErr = s.api.ResolveTaskForm(ctx, me, api.ResolveTaskFormRequest{TaskID: t.ID, Data: formData(t.Form, vals, zone(c))})
		})
	}
	wg.Go(func() { run, runErr = s.api.GetRun(ctx, me, t.RunID) })
	wg.Wait()
	if resErr != nil {
		return resErr
	}
	if v.Open {
		t.Form, hidden = res.Fields, res.Hidden
	}
	v.Form = newForm(t.Form, vals, api.FieldMessages(fieldErrs, "data."), trimPrefix(hidden, "data."))
	if v.Open {
		v.Form.Resolve = "/tasks/" + url.PathEscape(t.ID) + "/form"
	} else {
		v.Form.Disabled = true
	}
	if len(v.Outcomes) == 0 && v.Open {
		v.Outcomes = []api.Outcome{{Label: "Complete"}}
	}
	if msg := api.FieldMessages(fieldErrs, "data.")["outcome"]; msg != "" && v.Error == "" {
		v.Error = "Outcome " + msg
	}
	v.Picker = fieldView{FormField: api.FormField{ID: "to", Type: "user", Label: "Person"}, Name: "to", ID: "to", Visible: true}
	if runErr == nil {
		v.Run = &run
	} else if !isProblem(runErr) {
		return runErr
	}
	return s.render(c, status, "task", "", view{Title: t.Title, Page: v})
}

// completeTask submits the task's form with the outcome of the button pressed. A
// refusal shows the page again with every error next to its field and every value as
// typed; a completion goes back to the inbox.
func (s *Server) completeTask(c echo.Context) error {
	ctx := c.Request().Context()
	me := user(c)
	t, err := s.api.GetTask(ctx, me, c.Param("id"))
	if err != nil {
		return err
	}
	vals, err := c.FormParams()
	if err != nil {
		return failure(http.StatusBadRequest, "The form could not be read.")
	}
	comment := strings.TrimSpace(vals.Get("comment"))
	_, err = s.api.CompleteTask(ctx, me, api.CompleteTaskRequest{TaskID: t.ID, Data: formData(t.Form, vals, zone(c)),
		Outcome: vals.Get("outcome"), Comment: comment})
	var p *api.Problem
	if errors.As(err, &p) && p.Status < 500 && t.Status == workflows.TaskOpen {
		return s.renderTask(c, p.Status, t, vals, comment, p.Errors, refusalText(p))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

// refusalText is what the page says above the form of a refused submission.
func refusalText(p *api.Problem) string {
	if len(p.Errors) > 0 {
		return "Some answers need another look: see the messages next to them."
	}
	return capital(p.Detail) + "."
}

// resolveTaskForm answers the task's fields for the values posted so far (the API's
// ResolveTaskForm): which show, with a table's row added or removed when a button
// asked. It shows no errors: those come with a submission.
func (s *Server) resolveTaskForm(c echo.Context) error {
	ctx := c.Request().Context()
	me := user(c)
	t, err := s.api.GetTask(ctx, me, c.Param("id"))
	if err != nil {
		return err
	}
	vals, err := c.FormParams()
	if err != nil {
		return failure(http.StatusBadRequest, "The form could not be read.")
	}
	editRows(vals, vals.Get("_row"))
	res, err := s.api.ResolveTaskForm(ctx, me, api.ResolveTaskFormRequest{TaskID: t.ID, Data: formData(t.Form, vals, zone(c))})
	if err != nil {
		return err
	}
	f := newForm(res.Fields, vals, nil, trimPrefix(res.Hidden, "data."))
	f.Resolve = "/tasks/" + url.PathEscape(t.ID) + "/form"
	return s.partial(c, "task", "form-fields", f)
}

// claimTask makes the person the task's owner (ClaimTask) and shows it again.
func (s *Server) claimTask(c echo.Context) error {
	id := c.Param("id")
	if _, err := s.api.ClaimTask(c.Request().Context(), user(c), api.OwnershipRequest{TaskID: id}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/tasks/"+url.PathEscape(id))
}

// releaseTask gives the person's claimed task back to its groups (ReleaseTask) and
// shows it again.
func (s *Server) releaseTask(c echo.Context) error {
	id := c.Param("id")
	if _, err := s.api.ReleaseTask(c.Request().Context(), user(c), api.OwnershipRequest{TaskID: id}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/tasks/"+url.PathEscape(id))
}

// handTask reassigns or delegates the task (by the path) to the person picked.
func (s *Server) handTask(c echo.Context) error {
	ctx := c.Request().Context()
	me := user(c)
	id := c.Param("id")
	req := api.OwnershipRequest{TaskID: id, To: strings.TrimSpace(c.FormValue("to")), Comment: strings.TrimSpace(c.FormValue("comment"))}
	var err error
	if strings.HasSuffix(c.Path(), "/delegate") {
		_, err = s.api.DelegateTask(ctx, me, req)
	} else {
		_, err = s.api.ReassignTask(ctx, me, req)
	}
	var p *api.Problem
	if errors.As(err, &p) && p.Status == http.StatusUnprocessableEntity {
		msg := "Pick a person from the directory."
		if m := api.FieldMessages(p.Errors, "")["to"]; m != "" {
			msg = "Person: " + m + "."
		}
		return failure(http.StatusUnprocessableEntity, msg)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

// people answers a person picker's list (HTML <option>s): up to 10 people of the
// directory whose id or name starts with the text typed, which is the value of the one
// parameter sent. Only ids and names, only to signed-in people, only for 2 or more
// characters.
func (s *Server) people(c echo.Context) error {
	var q string
	for _, vs := range c.QueryParams() {
		if len(vs) > 0 {
			q = strings.TrimSpace(vs[0])
		}
	}
	var found any
	if n := utf8.RuneCountInString(q); n >= 2 && n <= 100 {
		ps, err := s.db.FindPeople(c.Request().Context(), q, 10)
		if err != nil {
			return err
		}
		found = ps
	}
	return s.partial(c, "task", "people", found)
}

func trimPrefix(names []string, prefix string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimPrefix(n, prefix)
	}
	return out
}

func isProblem(err error) bool {
	var p *api.Problem
	return errors.As(err, &p)
}

// capital starts s with a capital letter.
func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
