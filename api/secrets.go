package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/internal/secrets"
)

// maxSecretBytes caps a secret value: tokens and webhook URLs, not documents.
const maxSecretBytes = 16 << 10

type putSecretRequest struct {
	Value *string `json:"value"`
}

type secretResource struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// putSecret stores a secret sealed under the secrets key. The value is never echoed.
func (s *Server) putSecret(c echo.Context) error {
	name := c.Param("name")
	var req putSecretRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var errs []FieldError
	if !secrets.ValidName(name) {
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
	sealed := s.cfg.Secrets.Seal(name, []byte(*req.Value))
	if err := s.db.PutSecret(c.Request().Context(), name, sealed); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// listSecrets lists the stored secrets' names and timestamps, never their values.
func (s *Server) listSecrets(c echo.Context) error {
	list, err := s.db.ListSecretNames(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]secretResource, 0, len(list))
	for _, sec := range list {
		out = append(out, secretResource{Name: sec.Name, CreatedAt: sec.CreatedAt, UpdatedAt: sec.UpdatedAt})
	}
	return c.JSON(http.StatusOK, map[string]any{"secrets": out})
}

func (s *Server) deleteSecret(c echo.Context) error {
	name := c.Param("name")
	if !secrets.ValidName(name) {
		return invalid("the secret name is invalid", FieldError{"name", secrets.NameRule})
	}
	if err := s.db.DeleteSecret(c.Request().Context(), name); err != nil {
		return notFound(err, "secret %q", name)
	}
	return c.NoContent(http.StatusNoContent)
}
