package api

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/postgres"
)

// User is a directory user.
type User struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Email  string   `json:"email,omitempty"`
	Role   string   `json:"role"`
	Groups []string `json:"groups"`
	// Manager is the manager's user id.
	Manager   string    `json:"manager,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// CreateUserRequest adds a user to the directory; Role is member when left out.
type CreateUserRequest struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Email   string   `json:"email"`
	Role    string   `json:"role"`
	Groups  []string `json:"groups"`
	Manager string   `json:"manager"`
}

// UserPage is a page of users, by id.
type UserPage struct {
	Users         []User `json:"users"`
	NextPageToken string `json:"next_page_token"`
}

var (
	userIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	emailPattern  = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// validate checks a new user, naming every field at fault.
func (r CreateUserRequest) validate() []FieldError {
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

// CreateUser adds a user to the directory (admins).
func (s *Server) CreateUser(ctx context.Context, me postgres.User, req CreateUserRequest) (User, error) {
	if err := need(me, roleAdmin); err != nil {
		return User{}, err
	}
	if errs := req.validate(); len(errs) > 0 {
		return User{}, invalid("the user is invalid", errs...)
	}
	if req.Manager != "" {
		if _, err := s.db.User(ctx, req.Manager); err != nil {
			if p := notFound(err, ""); p != err {
				return User{}, invalid("unknown manager", FieldError{"manager", fmt.Sprintf("no user %q", req.Manager)})
			}
			return User{}, err
		}
	}
	if req.Role == "" {
		req.Role = roleMember
	}
	u, err := s.db.CreateUser(ctx, postgres.User{ID: req.ID, Name: req.Name, Email: req.Email,
		Role: req.Role, Groups: nonNil(req.Groups), Manager: req.Manager})
	if err != nil {
		if p := toProblem(err); p != nil && p.Status == http.StatusConflict {
			return User{}, problem(http.StatusConflict, fmt.Sprintf("user %q already exists", req.ID))
		}
		return User{}, err
	}
	return userResource(u), nil
}

// ListUsers lists the directory by user id (admins).
func (s *Server) ListUsers(ctx context.Context, me postgres.User, q PageRequest) (UserPage, error) {
	if err := need(me, roleAdmin); err != nil {
		return UserPage{}, err
	}
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return UserPage{}, err
	}
	users, err := s.db.ListUsers(ctx, q.PageToken, limit+1)
	if err != nil {
		return UserPage{}, err
	}
	out := UserPage{Users: make([]User, 0, len(users))}
	if len(users) > limit {
		users = users[:limit]
		out.NextPageToken = users[limit-1].ID
	}
	for _, u := range users {
		out.Users = append(out.Users, userResource(u))
	}
	return out, nil
}

// GetUser answers one user (admins).
func (s *Server) GetUser(ctx context.Context, me postgres.User, id string) (User, error) {
	if err := need(me, roleAdmin); err != nil {
		return User{}, err
	}
	u, err := s.db.User(ctx, id)
	if err != nil {
		return User{}, notFound(err, "user %q", id)
	}
	return userResource(u), nil
}

func userResource(u postgres.User) User {
	return User{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role,
		Groups: nonNil(u.Groups), Manager: u.Manager, CreatedAt: u.CreatedAt}
}

// ---- HTTP

func (s *Server) createUser(c echo.Context) error {
	var req CreateUserRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.CreateUser(c.Request().Context(), caller(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, u)
}

func (s *Server) listUsers(c echo.Context) error {
	q, err := pageRequest(c)
	if err != nil {
		return err
	}
	page, err := s.ListUsers(c.Request().Context(), caller(c), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (s *Server) getUser(c echo.Context) error {
	u, err := s.GetUser(c.Request().Context(), caller(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}
