package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/postgres"
)

// errSignedOut is returned by pages that need a signed-in person when there is none.
var errSignedOut = errors.New("not signed in")

// pageError is an error a person is shown as is, with its status.
type pageError struct {
	status  int
	message string
}

func (e *pageError) Error() string { return fmt.Sprintf("%d: %s", e.status, e.message) }

func failure(status int, message string) error { return &pageError{status, message} }

// toPage maps any error to the status and message a person sees: the one place where
// store, API and routing errors become this transport's answers. ok is false for an
// unexpected error, which is logged and shown as a 500 without its cause.
func toPage(err error) (status int, message string, ok bool) {
	var (
		pe *pageError
		p  *api.Problem
		he *echo.HTTPError
	)
	switch {
	case errors.As(err, &pe):
		return pe.status, pe.message, true
	case errors.As(err, &p):
		return p.Status, p.Detail, true
	case errors.Is(err, postgres.ErrNotFound):
		return http.StatusNotFound, "There is nothing here, or you may not see it.", true
	case errors.Is(err, postgres.ErrConflict):
		return http.StatusConflict, "That was done already.", true
	case errors.As(err, &he):
		if he.Code == http.StatusNotFound {
			return he.Code, "There is nothing here, or you may not see it.", true
		}
		return he.Code, http.StatusText(he.Code), true
	}
	return http.StatusInternalServerError, "Something went wrong on our side. It has been logged; try again in a moment.", false
}

// renderErrors renders what a page returned as an error page (or, for a person who is
// not signed in, sends them to sign in) and returns nil: errors of the web app never
// reach the API's problem+json handler.
func (s *Server) renderErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil || c.Response().Committed {
			return nil
		}
		if errors.Is(err, errSignedOut) {
			return s.toSignIn(c)
		}
		status, message, ok := toPage(err)
		if !ok || status >= 500 {
			s.log.ErrorContext(c.Request().Context(), "page failed", "method", c.Request().Method,
				"path", c.Request().URL.Path, "status", status, "error", err)
		}
		if rerr := s.render(c, status, "error", "", view{Title: http.StatusText(status),
			Page: errorPage{Status: status, Message: message}}); rerr != nil {
			s.log.ErrorContext(c.Request().Context(), "render error page", "error", rerr)
			return c.String(http.StatusInternalServerError, "internal error")
		}
		return nil
	}
}

type errorPage struct {
	Status  int
	Message string
}

// toSignIn sends a person who is not signed in to the sign-in page, to come back here.
// An htmx request is told to load the sign-in page itself.
func (s *Server) toSignIn(c echo.Context) error {
	target := "/signin"
	if r := c.Request(); r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	if c.Request().Header.Get("HX-Request") != "" {
		c.Response().Header().Set("HX-Redirect", target)
		return c.NoContent(http.StatusUnauthorized)
	}
	if c.Request().Method != http.MethodGet {
		return s.render(c, http.StatusUnauthorized, "error", "", view{Title: "Signed out",
			Page: errorPage{Status: http.StatusUnauthorized, Message: "Your session has ended. Sign in again and retry."}})
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// notFound answers paths no route has: an HTML page for a browser, and the API's
// problem+json under the API's prefixes, on the API's own paths (/metrics when it is
// off) and for any client that does not ask for HTML.
func (s *Server) notFound(c echo.Context) error {
	r := c.Request()
	p := r.URL.Path
	if strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/codec/") || p == "/metrics" ||
		!strings.Contains(r.Header.Get("Accept"), "text/html") {
		return echo.ErrNotFound
	}
	return s.headers(s.renderErrors(func(echo.Context) error {
		return failure(http.StatusNotFound, "There is no such page.")
	}))(c)
}

// crossOrigin answers a state-changing request that came from another site.
func (s *Server) crossOrigin(w http.ResponseWriter, r *http.Request) {
	e := echo.New()
	c := e.NewContext(r, w)
	if err := s.render(c, http.StatusForbidden, "error", "", view{Title: "Refused",
		Page: errorPage{Status: http.StatusForbidden, Message: "This request came from another site, so it was refused. Go back to Handoff and try again there."}}); err != nil {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
	}
}

// safeNext is a path to return to after signing in: only a local path, never another
// site ("//evil", "/\evil" or an absolute URL).
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}
