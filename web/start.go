package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/api"
)

// startView is the start page's data.
type startView struct {
	Definition api.Definition
	Form       formView
	Error      string
}

// startList lists the definitions a run can be started of, each linking to its start
// form.
func (s *Server) startList(c echo.Context) error {
	defs, err := s.api.ListDefinitions(c.Request().Context(), user(c))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "startlist", "", view{Title: "Start a run", Page: defs})
}

// startPage shows a definition's start form with its defaults, resolved by the API.
func (s *Server) startPage(c echo.Context) error {
	d, err := s.api.GetDefinition(c.Request().Context(), user(c), c.Param("key"), 0)
	if err != nil {
		return err
	}
	return s.renderStart(c, http.StatusOK, d, formValues(d.Inputs, nil, true, zone(c)), nil, "")
}

func (s *Server) renderStart(c echo.Context, status int, d api.Definition, vals url.Values, fieldErrs []api.FieldError, refusal string) error {
	f, err := s.startForm(c, d, vals, fieldErrs)
	if err != nil {
		return err
	}
	return s.render(c, status, "start", "", view{Title: "Start " + or(d.Name, d.Key), Page: startView{Definition: d, Form: f, Error: refusal}})
}

// startForm resolves the start form for the values posted so far (ResolveStartForm),
// with the API's field errors of a refused start.
func (s *Server) startForm(c echo.Context, d api.Definition, vals url.Values, fieldErrs []api.FieldError) (formView, error) {
	res, err := s.api.ResolveStartForm(c.Request().Context(), user(c), api.ResolveStartFormRequest{Definition: d.Key,
		Version: d.Version, Inputs: formData(d.Inputs, vals, zone(c))})
	if err != nil {
		return formView{}, err
	}
	v := newForm(res.Fields, vals, api.FieldMessages(fieldErrs, "inputs."), trimPrefix(res.Hidden, "inputs."))
	v.Resolve = "/definitions/" + url.PathEscape(d.Key) + "/start/form"
	return v, nil
}

// resolveStartForm answers the start form's fields for the values so far, with a
// table's row added or removed when a button asked.
func (s *Server) resolveStartForm(c echo.Context) error {
	d, err := s.api.GetDefinition(c.Request().Context(), user(c), c.Param("key"), 0)
	if err != nil {
		return err
	}
	vals, err := c.FormParams()
	if err != nil {
		return failure(http.StatusBadRequest, "The form could not be read.")
	}
	editRows(vals, vals.Get("_row"))
	f, err := s.startForm(c, d, vals, nil)
	if err != nil {
		return err
	}
	return s.partial(c, "start", "form-fields", f)
}

// startRun starts a run with the start form's values (StartRun) and shows its page; a
// refusal shows the form again with every error next to its field.
func (s *Server) startRun(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := s.api.GetDefinition(ctx, user(c), c.Param("key"), 0)
	if err != nil {
		return err
	}
	vals, err := c.FormParams()
	if err != nil {
		return failure(http.StatusBadRequest, "The form could not be read.")
	}
	run, err := s.api.StartRun(ctx, user(c), api.StartRunRequest{Definition: d.Key, Version: d.Version,
		Inputs: formData(d.Inputs, vals, zone(c))})
	var p *api.Problem
	if errors.As(err, &p) && p.Status < 500 && p.Status != http.StatusNotFound {
		return s.renderStart(c, p.Status, d, vals, p.Errors, refusalText(p))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/runs/"+url.PathEscape(run.ID))
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
