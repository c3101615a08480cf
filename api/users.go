package api

import (
	"context"
	"errors"
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
	// DeactivatedAt is when the user was deactivated; absent while they are active.
	DeactivatedAt *time.Time `json:"deactivated_at,omitempty"`
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

// UpdateUserRequest changes the fields it names (PATCH): a field left out (or null)
// keeps its value; "" clears email and manager, [] clears groups.
type UpdateUserRequest struct {
	Name    *string   `json:"name"`
	Email   *string   `json:"email"`
	Role    *string   `json:"role"`
	Groups  *[]string `json:"groups"`
	Manager *string   `json:"manager"`
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
	change := UpdateUserRequest{Name: &r.Name, Email: &r.Email, Groups: &r.Groups, Manager: &r.Manager}
	if r.Role != "" {
		change.Role = &r.Role
	}
	return append(errs, change.validate(r.ID)...)
}

// validate checks the fields a change of user id names, naming every field at fault.
func (r UpdateUserRequest) validate(id string) []FieldError {
	var errs []FieldError
	if r.Name != nil && *r.Name == "" {
		errs = append(errs, FieldError{"name", "is required"})
	}
	if r.Email != nil && *r.Email != "" && !emailPattern.MatchString(*r.Email) {
		errs = append(errs, FieldError{"email", "is not an email address"})
	}
	if _, ok := roleRank[deref(r.Role)]; !ok && r.Role != nil {
		errs = append(errs, FieldError{"role", "must be admin, designer, auditor or member"})
	}
	if r.Groups != nil {
		for i, g := range *r.Groups {
			if !userIDPattern.MatchString(g) {
				errs = append(errs, FieldError{fmt.Sprintf("groups[%d]", i), "must be lowercase letters, digits, '.', '_' or '-'"})
			}
		}
	}
	if r.Manager != nil && *r.Manager == id && id != "" {
		errs = append(errs, FieldError{"manager", "a user cannot manage themselves"})
	}
	return errs
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// activeUser answers a 422 naming field unless id is a user of the directory who is not
// deactivated: the rule for whoever is given work or a key, or made a manager.
func activeUser(ctx context.Context, db *postgres.DB, field, id string) error {
	u, err := db.User(ctx, id)
	if errors.Is(err, postgres.ErrNotFound) {
		return invalid("unknown user", FieldError{field, fmt.Sprintf("no user %q", id)})
	}
	if err != nil {
		return err
	}
	if u.DeactivatedAt != nil {
		return invalid("the user is deactivated", FieldError{field, fmt.Sprintf("user %q is deactivated", id)})
	}
	return nil
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
		if err := activeUser(ctx, s.db, "manager", req.Manager); err != nil {
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

// UpdateUser changes the fields of a user that the request names (admins). An admin
// cannot take the admin role from themselves.
func (s *Server) UpdateUser(ctx context.Context, me postgres.User, id string, req UpdateUserRequest) (User, error) {
	if err := need(me, roleAdmin); err != nil {
		return User{}, err
	}
	if id == me.ID && req.Role != nil && *req.Role != roleAdmin {
		return User{}, invalid("the change is invalid", FieldError{"role", "you cannot take the admin role from yourself"})
	}
	return EditUser(ctx, s.db, id, req)
}

// EditUser checks and applies a change of user id, by the rules of PATCH
// /v1/users/{id} (`handoff users update` uses it too): every field at fault is named
// (422); a manager must be an active user; an unknown user is a 404.
func EditUser(ctx context.Context, db *postgres.DB, id string, req UpdateUserRequest) (User, error) {
	if errs := req.validate(id); len(errs) > 0 {
		return User{}, invalid("the change is invalid", errs...)
	}
	if req.Manager != nil && *req.Manager != "" {
		if err := activeUser(ctx, db, "manager", *req.Manager); err != nil {
			return User{}, err
		}
	}
	u, err := db.UpdateUser(ctx, id, postgres.UserChange{Name: req.Name, Email: req.Email, Role: req.Role,
		Groups: req.Groups, Manager: req.Manager})
	if err != nil {
		return User{}, notFound(err, "user %q", id)
	}
	return userResource(u), nil
}

// DeactivateUser deactivates a user (admins): from now on their API keys and web
// sessions are refused (401), their sessions end, and nobody can give them a task, a
// key or people to manage; they stay in the directory, in history and in audit
// trails. Deactivating a deactivated user changes nothing; an admin cannot deactivate
// themselves (409).
func (s *Server) DeactivateUser(ctx context.Context, me postgres.User, id string) (User, error) {
	if err := need(me, roleAdmin); err != nil {
		return User{}, err
	}
	if id == me.ID {
		return User{}, problem(http.StatusConflict, "you cannot deactivate yourself")
	}
	u, err := s.db.DeactivateUser(ctx, id)
	if err != nil {
		return User{}, notFound(err, "user %q", id)
	}
	return userResource(u), nil
}

// ReactivateUser makes a deactivated user active again (admins): their API keys work
// again unless revoked or expired; they sign in afresh.
func (s *Server) ReactivateUser(ctx context.Context, me postgres.User, id string) (User, error) {
	if err := need(me, roleAdmin); err != nil {
		return User{}, err
	}
	u, err := s.db.ReactivateUser(ctx, id)
	if err != nil {
		return User{}, notFound(err, "user %q", id)
	}
	return userResource(u), nil
}

func userResource(u postgres.User) User {
	return User{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role,
		Groups: nonNil(u.Groups), Manager: u.Manager, CreatedAt: u.CreatedAt, DeactivatedAt: u.DeactivatedAt}
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

func (s *Server) updateUser(c echo.Context) error {
	var req UpdateUserRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.UpdateUser(c.Request().Context(), caller(c), c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *Server) deactivateUser(c echo.Context) error {
	u, err := s.DeactivateUser(c.Request().Context(), caller(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *Server) reactivateUser(c echo.Context) error {
	u, err := s.ReactivateUser(c.Request().Context(), caller(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *Server) getUser(c echo.Context) error {
	u, err := s.GetUser(c.Request().Context(), caller(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}
