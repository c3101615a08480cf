package api

import (
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/postgres"
)

type userResource struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email,omitempty"`
	Role      string    `json:"role"`
	Groups    []string  `json:"groups"`
	Manager   string    `json:"manager,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

type createUserRequest struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Email   string   `json:"email"`
	Role    string   `json:"role"`
	Groups  []string `json:"groups"`
	Manager string   `json:"manager"`
}

var (
	userIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	emailPattern  = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// Validate checks a new user, naming every field at fault.
func (r createUserRequest) validate() []FieldError {
	var errs []FieldError
	if !userIDPattern.MatchString(r.ID) {
		errs = append(errs, FieldError{"id", "must be 1–63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit"})
	}
	if r.Name == "" {
		errs = append(errs, FieldError{"name", "is required"})
	}
	if r.Email != "" && !emailPattern.MatchString(r.Email) {
		errs = append(errs, FieldError{"email", "is not an email address"})
	}
	if _, ok := roleRank[r.Role]; !ok && r.Role != "" {
		errs = append(errs, FieldError{"role", "must be admin, designer, auditor or member"})
	}
	for i, g := range r.Groups {
		if !userIDPattern.MatchString(g) {
			errs = append(errs, FieldError{fmt.Sprintf("groups[%d]", i), "must be lowercase letters, digits, '.', '_' or '-'"})
		}
	}
	if r.Manager == r.ID && r.ID != "" {
		errs = append(errs, FieldError{"manager", "a user cannot manage themselves"})
	}
	return errs
}

func (s *Server) createUser(c echo.Context) error {
	var req createUserRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if errs := req.validate(); len(errs) > 0 {
		return invalid("the user is invalid", errs...)
	}
	ctx := c.Request().Context()
	if req.Manager != "" {
		if _, err := s.db.User(ctx, req.Manager); err != nil {
			if p := notFound(err, ""); p != err {
				return invalid("unknown manager", FieldError{"manager", fmt.Sprintf("no user %q", req.Manager)})
			}
			return err
		}
	}
	if req.Role == "" {
		req.Role = roleMember
	}
	u, err := s.db.CreateUser(ctx, postgres.User{ID: req.ID, Name: req.Name, Email: req.Email,
		Role: req.Role, Groups: nonNil(req.Groups), Manager: req.Manager})
	if err != nil {
		if toProblem(err) != nil && toProblem(err).Status == http.StatusConflict {
			return problem(http.StatusConflict, fmt.Sprintf("user %q already exists", req.ID))
		}
		return err
	}
	return c.JSON(http.StatusCreated, userJSON(u))
}

func (s *Server) listUsers(c echo.Context) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	users, err := s.db.ListUsers(c.Request().Context(), c.QueryParam("page_token"), limit+1)
	if err != nil {
		return err
	}
	next := ""
	if len(users) > limit {
		users = users[:limit]
		next = users[limit-1].ID
	}
	out := make([]userResource, 0, len(users))
	for _, u := range users {
		out = append(out, userJSON(u))
	}
	return c.JSON(http.StatusOK, map[string]any{"users": out, "next_page_token": next})
}

func (s *Server) getUser(c echo.Context) error {
	u, err := s.db.User(c.Request().Context(), c.Param("id"))
	if err != nil {
		return notFound(err, "user %q", c.Param("id"))
	}
	return c.JSON(http.StatusOK, userJSON(u))
}

func userJSON(u postgres.User) userResource {
	return userResource{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role,
		Groups: nonNil(u.Groups), Manager: u.Manager, CreatedAt: u.CreatedAt}
}
