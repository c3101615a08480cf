package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/postgres"
)

type createKeyRequest struct {
	User string `json:"user"`
	// ExpiresIn is a Go duration from now ("720h"); ExpiresAt an RFC 3339 time. At most
	// one; neither: the key never expires.
	ExpiresIn string `json:"expires_in,omitempty"`
	ExpiresAt string `json:"expires_at,omitempty"`
}

// keyResource is an API key as listed: never the key itself.
type keyResource struct {
	ID         string     `json:"id"`
	User       string     `json:"user"`
	Prefix     string     `json:"prefix"`
	Scope      string     `json:"scope"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

type createKeyResponse struct {
	keyResource
	// Key is the key, shown this once.
	Key string `json:"key"`
}

// expiry reads expires_in or expires_at; nil means never.
func (r createKeyRequest) expiry(now time.Time) (*time.Time, error) {
	switch {
	case r.ExpiresIn != "" && r.ExpiresAt != "":
		return nil, invalid("give expires_in or expires_at, not both", FieldError{"expires_at", "give expires_in or expires_at, not both"})
	case r.ExpiresIn != "":
		d, err := time.ParseDuration(r.ExpiresIn)
		if err != nil || d <= 0 {
			return nil, invalid("expires_in is not a duration", FieldError{"expires_in", "must be a positive duration such as \"720h\" or \"30m\""})
		}
		at := now.Add(d)
		return &at, nil
	case r.ExpiresAt != "":
		at, err := time.Parse(time.RFC3339, r.ExpiresAt)
		if err != nil || !at.After(now) {
			return nil, invalid("expires_at is not a future time", FieldError{"expires_at", "must be a future RFC 3339 time such as 2027-01-31T17:00:00Z"})
		}
		return &at, nil
	}
	return nil, nil
}

func (s *Server) createAPIKey(c echo.Context) error {
	var req createKeyRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.User == "" {
		return invalid("user is required", FieldError{"user", "is required"})
	}
	expires, err := req.expiry(time.Now())
	if err != nil {
		return err
	}
	key, hash := NewKey()
	k, err := s.db.IssueAPIKey(c.Request().Context(), postgres.APIKey{UserID: req.User, Prefix: key[:7], ExpiresAt: expires}, hash)
	if err != nil {
		if p := notFound(err, ""); p != err {
			return invalid("unknown user", FieldError{"user", fmt.Sprintf("no user %q", req.User)})
		}
		return err
	}
	return c.JSON(http.StatusCreated, createKeyResponse{keyResource: keyJSON(k), Key: key})
}

// listAPIKeys lists keys (of ?user=, or everyone's) with when each was last used.
func (s *Server) listAPIKeys(c echo.Context) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	keys, err := s.db.ListAPIKeys(c.Request().Context(), c.QueryParam("user"), c.QueryParam("page_token"), limit+1)
	if err != nil {
		return err
	}
	next := ""
	if len(keys) > limit {
		keys = keys[:limit]
		next = keys[limit-1].ID
	}
	out := make([]keyResource, 0, len(keys))
	for _, k := range keys {
		out = append(out, keyJSON(k))
	}
	return c.JSON(http.StatusOK, map[string]any{"api_keys": out, "next_page_token": next})
}

// revokeAPIKey deletes a key: from the answer on, it authenticates nothing.
func (s *Server) revokeAPIKey(c echo.Context) error {
	if err := s.db.RevokeAPIKey(c.Request().Context(), c.Param("id")); err != nil {
		return notFound(err, "API key %q", c.Param("id"))
	}
	return c.NoContent(http.StatusNoContent)
}

func keyJSON(k postgres.APIKey) keyResource {
	return keyResource{ID: k.ID, User: k.UserID, Prefix: k.Prefix, Scope: k.Scope, CreatedAt: k.CreatedAt,
		ExpiresAt: utcPtr(k.ExpiresAt), LastUsedAt: utcPtr(k.LastUsedAt)}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
