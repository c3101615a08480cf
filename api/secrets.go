package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/internal/secrets"
	"github.com/handoffhq/handoff/postgres"
)

// maxSecretBytes caps a secret value: tokens and webhook URLs, not documents.
const maxSecretBytes = 16 << 10

// PutSecretRequest stores a secret value under a name.
type PutSecretRequest struct {
	Name  string  `json:"-"`
	Value *string `json:"value"`
}

// Secret is a stored secret's name and timestamps, never its value.
type Secret struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PutSecret stores a secret sealed under the secrets key (admins). The value is never echoed.
func (s *Server) PutSecret(ctx context.Context, me postgres.User, req PutSecretRequest) error {
	if err := need(me, roleAdmin); err != nil {
		return err
	}
	var errs []FieldError
	if !secrets.ValidName(req.Name) {
		errs = append(errs, FieldError{"name", secrets.NameRule})
	}
	switch {
	case req.Value == nil:
		errs = append(errs, FieldError{"value", "is required"})
	case *req.Value == "":
		errs = append(errs, FieldError{"value", "must not be empty"})
	case len(*req.Value) > maxSecretBytes:
		errs = append(errs, FieldError{"value", fmt.Sprintf("must be at most %d bytes", maxSecretBytes)})
	}
	if len(errs) > 0 {
		return invalid("the secret is invalid", errs...)
	}
	if s.cfg.Secrets == nil {
		return problem(http.StatusServiceUnavailable, "secrets cannot be stored: the server has no HANDOFF_SECRETS_KEY")
	}
	return s.db.PutSecret(ctx, req.Name, s.cfg.Secrets.Seal(req.Name, []byte(*req.Value)))
}

// ListSecrets lists the stored secrets' names and timestamps, never their values (admins).
func (s *Server) ListSecrets(ctx context.Context, me postgres.User) ([]Secret, error) {
	if err := need(me, roleAdmin); err != nil {
		return nil, err
	}
	list, err := s.db.ListSecretNames(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Secret, 0, len(list))
	for _, sec := range list {
		out = append(out, Secret{Name: sec.Name, CreatedAt: sec.CreatedAt, UpdatedAt: sec.UpdatedAt})
	}
	return out, nil
}

// DeleteSecret removes a stored secret (admins).
func (s *Server) DeleteSecret(ctx context.Context, me postgres.User, name string) error {
	if err := need(me, roleAdmin); err != nil {
		return err
	}
	if !secrets.ValidName(name) {
		return invalid("the secret name is invalid", FieldError{"name", secrets.NameRule})
	}
	return notFound(s.db.DeleteSecret(ctx, name), "secret %q", name)
}

// ---- HTTP

func (s *Server) putSecret(c echo.Context) error {
	var req PutSecretRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.Name = c.Param("name")
	if err := s.PutSecret(c.Request().Context(), caller(c), req); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) listSecrets(c echo.Context) error {
	list, err := s.ListSecrets(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"secrets": list})
}

func (s *Server) deleteSecret(c echo.Context) error {
	if err := s.DeleteSecret(c.Request().Context(), caller(c), c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
