package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/postgres"
)

// CreateAPIKeyRequest asks for a new API key for a user. ExpiresIn is a Go duration
// from now ("720h"), ExpiresAt an RFC 3339 time; at most one, and neither: the key
// never expires.
type CreateAPIKeyRequest struct {
	User      string `json:"user"`
	ExpiresIn string `json:"expires_in,omitempty"`
	ExpiresAt string `json:"expires_at,omitempty"`
}

// APIKey is an API key as listed: never the key itself.
type APIKey struct {
	ID     string `json:"id"`
	User   string `json:"user"`
	Prefix string `json:"prefix"`
	// Scope is api (every route the owner's role allows) or codec (a codec session's).
	Scope      string     `json:"scope"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// NewAPIKey is a new API key, with the key itself, shown this once.
type NewAPIKey struct {
	APIKey
	Key string `json:"key"`
}

// APIKeyQuery selects keys for ListAPIKeys: a user's, or everyone's when User is "".
type APIKeyQuery struct {
	User string
	PageRequest
}

// APIKeyPage is a page of API keys, by id.
type APIKeyPage struct {
	APIKeys       []APIKey `json:"api_keys"`
	NextPageToken string   `json:"next_page_token"`
}

// expiry reads expires_in or expires_at; nil means never.
func (r CreateAPIKeyRequest) expiry(now time.Time) (*time.Time, error) {
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

// CreateAPIKey creates an API key for a user and answers it once (admins).
func (s *Server) CreateAPIKey(ctx context.Context, me postgres.User, req CreateAPIKeyRequest) (NewAPIKey, error) {
	if err := need(me, roleAdmin); err != nil {
		return NewAPIKey{}, err
	}
	if req.User == "" {
		return NewAPIKey{}, invalid("user is required", FieldError{"user", "is required"})
	}
	expires, err := req.expiry(time.Now())
	if err != nil {
		return NewAPIKey{}, err
	}
	if err := activeUser(ctx, s.db, "user", req.User); err != nil {
		return NewAPIKey{}, err
	}
	key, hash := NewKey()
	k, err := s.db.IssueAPIKey(ctx, postgres.APIKey{UserID: req.User, Prefix: key[:7], ExpiresAt: expires}, hash)
	if err != nil {
		if p := notFound(err, ""); p != err {
			return NewAPIKey{}, invalid("unknown user", FieldError{"user", fmt.Sprintf("no user %q", req.User)})
		}
		return NewAPIKey{}, err
	}
	return NewAPIKey{APIKey: apiKeyResource(k), Key: key}, nil
}

// ListAPIKeys lists keys (of a user, or everyone's) with when each was last used (admins).
func (s *Server) ListAPIKeys(ctx context.Context, me postgres.User, q APIKeyQuery) (APIKeyPage, error) {
	if err := need(me, roleAdmin); err != nil {
		return APIKeyPage{}, err
	}
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return APIKeyPage{}, err
	}
	keys, err := s.db.ListAPIKeys(ctx, q.User, q.PageToken, limit+1)
	if err != nil {
		return APIKeyPage{}, err
	}
	out := APIKeyPage{APIKeys: make([]APIKey, 0, len(keys))}
	if len(keys) > limit {
		keys = keys[:limit]
		out.NextPageToken = keys[limit-1].ID
	}
	for _, k := range keys {
		out.APIKeys = append(out.APIKeys, apiKeyResource(k))
	}
	return out, nil
}

// RevokeAPIKey deletes a key: from then on it authenticates nothing (admins).
func (s *Server) RevokeAPIKey(ctx context.Context, me postgres.User, id string) error {
	if err := need(me, roleAdmin); err != nil {
		return err
	}
	return notFound(s.db.RevokeAPIKey(ctx, id), "API key %q", id)
}

func apiKeyResource(k postgres.APIKey) APIKey {
	return APIKey{ID: k.ID, User: k.UserID, Prefix: k.Prefix, Scope: k.Scope, CreatedAt: k.CreatedAt,
		ExpiresAt: utcPtr(k.ExpiresAt), LastUsedAt: utcPtr(k.LastUsedAt)}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// ---- HTTP

func (s *Server) createAPIKey(c echo.Context) error {
	var req CreateAPIKeyRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	k, err := s.CreateAPIKey(c.Request().Context(), caller(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, k)
}

func (s *Server) listAPIKeys(c echo.Context) error {
	page, err := pageRequest(c)
	if err != nil {
		return err
	}
	res, err := s.ListAPIKeys(c.Request().Context(), caller(c), APIKeyQuery{User: c.QueryParam("user"), PageRequest: page})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (s *Server) revokeAPIKey(c echo.Context) error {
	if err := s.RevokeAPIKey(c.Request().Context(), caller(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
