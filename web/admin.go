package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/outbox"
)

// The admin's pages: the directory and API keys. Each calls the API's operation of the
// same name (CreateUser, ListUsers, GetUser, UpdateUser, DeactivateUser, ReactivateUser,
// CreateAPIKey, ListAPIKeys, RevokeAPIKey), which allows admins only and validates; a
// refusal is shown as the API words it.

// usersView is the directory page; Form is the add-a-user form as typed, with its errors.
type usersView struct {
	Users  []api.User
	Next   string
	Form   api.CreateUserRequest
	Groups string
	Errors map[string]string // by field
	Error  string
}

func (s *Server) usersPage(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, usersView{Form: api.CreateUserRequest{Role: "member"}})
}

func (s *Server) renderUsers(c echo.Context, status int, v usersView) error {
	page, err := s.api.ListUsers(c.Request().Context(), user(c), api.PageRequest{PageToken: c.QueryParam("after"), Limit: 100})
	if err != nil {
		return err
	}
	v.Users, v.Next = page.Users, page.NextPageToken
	return s.render(c, status, "admin_users", "", view{Title: "Users", Page: v})
}

func (s *Server) addUser(c echo.Context) error {
	req := api.CreateUserRequest{ID: strings.TrimSpace(c.FormValue("id")), Name: strings.TrimSpace(c.FormValue("name")),
		Email: strings.TrimSpace(c.FormValue("email")), Role: c.FormValue("role"), Manager: strings.TrimSpace(c.FormValue("manager"))}
	groups := c.FormValue("groups")
	req.Groups = splitGroups(groups)
	u, err := s.api.CreateUser(c.Request().Context(), user(c), req)
	if v, ok := formProblem(err); ok {
		v2 := usersView{Form: req, Groups: groups, Errors: v.fields, Error: v.detail}
		return s.renderUsers(c, v.status, v2)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/users/"+u.ID)
}

// splitGroups reads a comma-separated list of groups.
func splitGroups(s string) []string {
	var out []string
	for _, g := range strings.Split(s, ",") {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}

// problemText is an API refusal a form shows: the detail and the fields at fault.
type problemText struct {
	status int
	detail string
	fields map[string]string
}

// formProblem is the API's refusal of a form's request (4xx other than 401/403/404,
// which are pages of their own).
func formProblem(err error) (problemText, bool) {
	var p *api.Problem
	if !errors.As(err, &p) || p.Status < 400 || p.Status >= 500 || p.Status == http.StatusForbidden || p.Status == http.StatusNotFound || p.Status == http.StatusUnauthorized {
		return problemText{}, false
	}
	v := problemText{status: p.Status, detail: p.Detail, fields: map[string]string{}}
	for _, f := range p.Errors {
		v.fields[f.Field] = f.Message
	}
	return v, true
}

// userView is one user's page with their API keys; NewKey is a key just created,
// shown this once. Edit is the edit form as typed (the user's fields when it was not
// sent), with its errors; Tasks are the open tasks that are theirs alone (assigned or
// claimed), which an admin reassigns when the user has gone.
type userView struct {
	User        api.User
	Keys        []api.APIKey
	NewKey      *api.NewAPIKey
	Expires     string
	Error       string
	Edit        userForm
	EditErrors  map[string]string
	EditError   string
	StatusError string
	Tasks       []api.ListedTask
}

// userForm is the edit form's values.
type userForm struct {
	Name, Email, Role, Groups, Manager string
	Sent                               bool
}

func (s *Server) userPage(c echo.Context) error {
	return s.renderUser(c, http.StatusOK, userView{})
}

func (s *Server) renderUser(c echo.Context, status int, v userView) error {
	me, ctx := user(c), c.Request().Context()
	u, err := s.api.GetUser(ctx, me, c.Param("id"))
	if err != nil {
		return err
	}
	keys, err := s.api.ListAPIKeys(ctx, me, api.APIKeyQuery{User: u.ID, PageRequest: api.PageRequest{Limit: 200}})
	if err != nil {
		return err
	}
	tasks, err := s.api.ListTasks(ctx, me, api.TaskQuery{Assignee: u.ID, Limit: 200})
	if err != nil {
		return err
	}
	for _, t := range tasks.Tasks {
		if t.ClaimedBy == u.ID || t.ClaimedBy == "" && slices.Contains(t.Assignees, u.ID) {
			v.Tasks = append(v.Tasks, t)
		}
	}
	v.User, v.Keys = u, keys.APIKeys
	if !v.Edit.Sent {
		v.Edit = userForm{Name: u.Name, Email: u.Email, Role: u.Role, Groups: strings.Join(u.Groups, ", "), Manager: u.Manager}
	}
	return s.render(c, status, "admin_user", "", view{Title: u.Name, Page: v})
}

// editUser changes the user's fields to the form's (UpdateUser).
func (s *Server) editUser(c echo.Context) error {
	f := userForm{Name: strings.TrimSpace(c.FormValue("name")), Email: strings.TrimSpace(c.FormValue("email")),
		Role: c.FormValue("role"), Groups: c.FormValue("groups"), Manager: strings.TrimSpace(c.FormValue("manager")), Sent: true}
	groups := splitGroups(f.Groups)
	if groups == nil {
		groups = []string{}
	}
	req := api.UpdateUserRequest{Name: &f.Name, Email: &f.Email, Role: &f.Role, Groups: &groups, Manager: &f.Manager}
	_, err := s.api.UpdateUser(c.Request().Context(), user(c), c.Param("id"), req)
	if v, ok := formProblem(err); ok {
		for field, msg := range v.fields {
			if strings.HasPrefix(field, "groups[") {
				v.fields["groups"] = msg // shown under the one input
			}
		}
		return s.renderUser(c, v.status, userView{Edit: f, EditErrors: v.fields, EditError: v.detail})
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/users/"+c.Param("id")+"?saved=1")
}

// setActive deactivates or reactivates the user (by the path's last part).
func (s *Server) setActive(c echo.Context) error {
	ctx, me, id := c.Request().Context(), user(c), c.Param("id")
	var err error
	if strings.HasSuffix(c.Path(), "/reactivate") {
		_, err = s.api.ReactivateUser(ctx, me, id)
	} else {
		_, err = s.api.DeactivateUser(ctx, me, id)
	}
	if v, ok := formProblem(err); ok {
		return s.renderUser(c, v.status, userView{StatusError: capital(v.detail) + "."})
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/users/"+id)
}

// createKey issues a key for the user and shows it once, on this answer only: the
// page is not a redirect target, and its Cache-Control is no-store.
func (s *Server) createKey(c echo.Context) error {
	expires := strings.TrimSpace(c.FormValue("expires_in"))
	k, err := s.api.CreateAPIKey(c.Request().Context(), user(c), api.CreateAPIKeyRequest{User: c.Param("id"), ExpiresIn: expires})
	if v, ok := formProblem(err); ok {
		msg := v.detail
		if f, ok := v.fields["expires_in"]; ok {
			msg = "Expires in " + f
		}
		return s.renderUser(c, v.status, userView{Expires: expires, Error: msg})
	}
	if err != nil {
		return err
	}
	return s.renderUser(c, http.StatusCreated, userView{NewKey: &k})
}

func (s *Server) revokeKey(c echo.Context) error {
	if err := s.api.RevokeAPIKey(c.Request().Context(), user(c), c.Param("key")); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/users/"+c.Param("id")+"?revoked="+c.Param("key"))
}

// subscriptionsView is the admin's subscriptions page: each with its URL and events
// (ListSubscriptions), a new one's signing secret shown once (CreateSubscription), and
// delete (DeleteSubscription).
type subscriptionsView struct {
	Subscriptions []api.Subscription
	Events        []string // every event type, for the form
	New           *api.Subscription
	Form          api.CreateSubscriptionRequest
	Errors        map[string]string
	Error         string
}

func (s *Server) subscriptionsPage(c echo.Context) error {
	return s.renderSubscriptions(c, http.StatusOK, subscriptionsView{})
}

func (s *Server) renderSubscriptions(c echo.Context, status int, v subscriptionsView) error {
	page, err := s.api.ListSubscriptions(c.Request().Context(), user(c), api.PageRequest{Limit: 200})
	if err != nil {
		return err
	}
	v.Subscriptions, v.Events = page.Subscriptions, outbox.EventTypes()
	return s.render(c, status, "admin_subscriptions", "", view{Title: "Subscriptions", Page: v})
}

func (s *Server) addSubscription(c echo.Context) error {
	vals, err := c.FormParams()
	if err != nil {
		return failure(http.StatusBadRequest, "The form could not be read.")
	}
	req := api.CreateSubscriptionRequest{URL: strings.TrimSpace(vals.Get("url")), Events: vals["events"],
		Description: strings.TrimSpace(vals.Get("description"))}
	sub, err := s.api.CreateSubscription(c.Request().Context(), user(c), req)
	if v, ok := formProblem(err); ok {
		return s.renderSubscriptions(c, v.status, subscriptionsView{Form: req, Errors: v.fields, Error: v.detail})
	}
	if err != nil {
		return err
	}
	return s.renderSubscriptions(c, http.StatusCreated, subscriptionsView{New: &sub})
}

func (s *Server) deleteSubscription(c echo.Context) error {
	if err := s.api.DeleteSubscription(c.Request().Context(), user(c), c.Param("id")); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/subscriptions?deleted="+c.Param("id"))
}
