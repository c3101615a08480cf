package api

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/internal/webhook"
	"github.com/handoffhq/handoff/postgres"
)

// WebhookSecret is a trigger's signing secret as listed: never its value.
type WebhookSecret struct {
	ID        string    `json:"id"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Secret is the secret itself (whsec_…), in the creation answer only.
	Secret string `json:"secret,omitempty"`
}

// WebhookTrigger names a definition's trigger, whose secrets sign its deliveries.
type WebhookTrigger struct {
	Definition string
	Trigger    string
}

// CreateWebhookSecret generates a signing secret for a trigger and shows it once
// (designers). A trigger holds at most two, so that senders can rotate: add the new
// one, switch the sender, delete the old one.
func (s *Server) CreateWebhookSecret(ctx context.Context, me postgres.User, req WebhookTrigger) (WebhookSecret, error) {
	if err := need(me, roleDesigner); err != nil {
		return WebhookSecret{}, err
	}
	target, err := s.hookTarget(ctx, req)
	if err != nil {
		return WebhookSecret{}, err
	}
	if s.cfg.Secrets == nil {
		return WebhookSecret{}, problem(http.StatusServiceUnavailable, "webhook secrets cannot be stored: HANDOFF_SECRETS_KEY is not set")
	}
	secret := webhook.NewSecret()
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		return WebhookSecret{}, fmt.Errorf("parse new webhook secret: %w", err)
	}
	id := newSecretID()
	ws := postgres.WebhookSecret{ID: id, Definition: target.def.Key, Trigger: target.trigger.Name, CreatedBy: me.ID}
	ws.Ciphertext = s.cfg.Secrets.Seal(webhookSecretName(ws), key)
	stored, err := s.db.AddWebhookSecret(ctx, ws)
	if errors.Is(err, postgres.ErrTooManySecrets) {
		return WebhookSecret{}, problem(http.StatusConflict, fmt.Sprintf(
			"trigger %s of %s already has %d secrets: delete one before adding another", ws.Trigger, ws.Definition, postgres.MaxWebhookSecrets))
	}
	if err != nil {
		return WebhookSecret{}, err
	}
	res := webhookSecretResource(stored)
	res.Secret = secret
	return res, nil
}

// ListWebhookSecrets lists a trigger's secrets, without their values (designers).
func (s *Server) ListWebhookSecrets(ctx context.Context, me postgres.User, req WebhookTrigger) ([]WebhookSecret, error) {
	if err := need(me, roleDesigner); err != nil {
		return nil, err
	}
	target, err := s.hookTarget(ctx, req)
	if err != nil {
		return nil, err
	}
	stored, err := s.db.WebhookSecrets(ctx, target.def.Key, target.trigger.Name)
	if err != nil {
		return nil, err
	}
	out := make([]WebhookSecret, 0, len(stored))
	for _, ws := range stored {
		out = append(out, webhookSecretResource(ws))
	}
	return out, nil
}

// DeleteWebhookSecret removes one of a trigger's secrets (designers).
func (s *Server) DeleteWebhookSecret(ctx context.Context, me postgres.User, req WebhookTrigger, id string) error {
	if err := need(me, roleDesigner); err != nil {
		return err
	}
	err := s.db.DeleteWebhookSecret(ctx, req.Definition, req.Trigger, id)
	return notFound(err, "secret %q on trigger %s of %s", id, req.Trigger, req.Definition)
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

func webhookSecretResource(ws postgres.WebhookSecret) WebhookSecret {
	return WebhookSecret{ID: ws.ID, CreatedBy: ws.CreatedBy, CreatedAt: ws.CreatedAt.UTC()}
}

// newSecretID is a short random id, "whs_" and 16 base32 characters.
func newSecretID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return "whs_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// ---- HTTP

func webhookTrigger(c echo.Context) WebhookTrigger {
	return WebhookTrigger{Definition: c.Param("definition"), Trigger: c.Param("trigger")}
}

func (s *Server) createWebhookSecret(c echo.Context) error {
	res, err := s.CreateWebhookSecret(c.Request().Context(), caller(c), webhookTrigger(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, res)
}

func (s *Server) listWebhookSecrets(c echo.Context) error {
	list, err := s.ListWebhookSecrets(c.Request().Context(), caller(c), webhookTrigger(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"secrets": list})
}

func (s *Server) deleteWebhookSecret(c echo.Context) error {
	if err := s.DeleteWebhookSecret(c.Request().Context(), caller(c), webhookTrigger(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
