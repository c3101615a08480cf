package api

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/internal/webhook"
	"github.com/handoffhq/handoff/postgres"
)

// webhookSecretResource is a trigger's secret as listed: never its value.
type webhookSecretResource struct {
	ID        string `json:"id"`
	CreatedBy string `json:"created_by,omitempty"`
	CreatedAt string `json:"created_at"`
}

// newWebhookSecretResponse is the one answer that shows a secret.
type newWebhookSecretResponse struct {
	webhookSecretResource
	Secret string `json:"secret"`
}

// createWebhookSecret generates a signing secret for a trigger and shows it once. A
// trigger holds at most two, so that senders can rotate: add the new one, switch the
// sender, delete the old one.
func (s *Server) createWebhookSecret(c echo.Context) error {
	target, err := s.hookTarget(c)
	if err != nil {
		return err
	}
	if s.cfg.Secrets == nil {
		return problem(http.StatusServiceUnavailable, "webhook secrets cannot be stored: HANDOFF_SECRETS_KEY is not set")
	}
	secret := webhook.NewSecret()
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		return fmt.Errorf("parse new webhook secret: %w", err)
	}
	id := newSecretID()
	ws := postgres.WebhookSecret{ID: id, Definition: target.def.Key, Trigger: target.trigger.Name, CreatedBy: caller(c).ID}
	ws.Ciphertext = s.cfg.Secrets.Seal(webhookSecretName(ws), key)
	stored, err := s.db.AddWebhookSecret(c.Request().Context(), ws)
	if errors.Is(err, postgres.ErrTooManySecrets) {
		return problem(http.StatusConflict, fmt.Sprintf(
			"trigger %s of %s already has %d secrets: delete one before adding another", ws.Trigger, ws.Definition, postgres.MaxWebhookSecrets))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, newWebhookSecretResponse{webhookSecretResource: secretJSON(stored), Secret: secret})
}

func (s *Server) listWebhookSecrets(c echo.Context) error {
	target, err := s.hookTarget(c)
	if err != nil {
		return err
	}
	stored, err := s.db.WebhookSecrets(c.Request().Context(), target.def.Key, target.trigger.Name)
	if err != nil {
		return err
	}
	out := make([]webhookSecretResource, 0, len(stored))
	for _, ws := range stored {
		out = append(out, secretJSON(ws))
	}
	return c.JSON(http.StatusOK, map[string]any{"secrets": out})
}

func (s *Server) deleteWebhookSecret(c echo.Context) error {
	key, trigger, id := c.Param("definition"), c.Param("trigger"), c.Param("id")
	err := s.db.DeleteWebhookSecret(c.Request().Context(), key, trigger, id)
	if err != nil {
		return notFound(err, "secret %q on trigger %s of %s", id, trigger, key)
	}
	return c.NoContent(http.StatusNoContent)
}

// openWebhookSecret decrypts a stored secret into its HMAC key.
func (s *Server) openWebhookSecret(ws postgres.WebhookSecret) ([]byte, error) {
	key, err := s.cfg.Secrets.Open(webhookSecretName(ws), ws.Ciphertext)
	if err != nil {
		return nil, fmt.Errorf("open webhook secret %s: %w", ws.ID, err)
	}
	return key, nil
}

// webhookSecretName binds a ciphertext to its row: copied to another trigger, it does not open.
func webhookSecretName(ws postgres.WebhookSecret) string {
	return "webhook/" + ws.Definition + "/" + ws.Trigger + "/" + ws.ID
}

func secretJSON(ws postgres.WebhookSecret) webhookSecretResource {
	return webhookSecretResource{ID: ws.ID, CreatedBy: ws.CreatedBy, CreatedAt: ws.CreatedAt.UTC().Format(timeFormat)}
}

// newSecretID is a short random id, "whs_" and 16 base32 characters.
func newSecretID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return "whs_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}
