package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/api"
)

// The webhook trigger secrets of a definition (designers): each trigger of the latest
// version with its secrets (ListWebhookSecrets), a new one shown once
// (CreateWebhookSecret), and delete (DeleteWebhookSecret). A trigger holds two secrets
// at most, which is how a sender rotates: add the new one, switch the sender, delete
// the old one.

type hooksView struct {
	Def      api.Definition
	Triggers []triggerView
	New      *api.WebhookSecret
	NewFor   string // the trigger the new secret signs
	Error    string
	Base     string // where deliveries go: PublicURL + /v1/hooks/{key}/
}

type triggerView struct {
	Name    string
	Secrets []api.WebhookSecret
}

func (s *Server) hooksPage(c echo.Context) error {
	return s.renderHooks(c, http.StatusOK, hooksView{})
}

func (s *Server) renderHooks(c echo.Context, status int, v hooksView) error {
	me, ctx := user(c), c.Request().Context()
	d, err := s.api.GetDefinition(ctx, me, c.Param("key"), 0)
	if err != nil {
		return err
	}
	prog, err := compiled(d)
	if err != nil {
		return err
	}
	v.Def, v.Base = d, s.cfg.PublicURL+"/v1/hooks/"+d.Key+"/"
	for _, t := range prog.Triggers {
		secrets, err := s.api.ListWebhookSecrets(ctx, me, api.WebhookTrigger{Definition: d.Key, Trigger: t.Name})
		if err != nil {
			return err
		}
		v.Triggers = append(v.Triggers, triggerView{Name: t.Name, Secrets: secrets})
	}
	return s.render(c, status, "hooks", "", view{Title: "Webhook secrets of " + d.Key, Page: v})
}

// addHookSecret creates a secret and shows it on this answer only.
func (s *Server) addHookSecret(c echo.Context) error {
	tr := api.WebhookTrigger{Definition: c.Param("key"), Trigger: c.Param("trigger")}
	sec, err := s.api.CreateWebhookSecret(c.Request().Context(), user(c), tr)
	if v, ok := formProblem(err); ok {
		return s.renderHooks(c, v.status, hooksView{Error: v.detail})
	}
	if err != nil {
		return err
	}
	return s.renderHooks(c, http.StatusCreated, hooksView{New: &sec, NewFor: tr.Trigger})
}

func (s *Server) deleteHookSecret(c echo.Context) error {
	tr := api.WebhookTrigger{Definition: c.Param("key"), Trigger: c.Param("trigger")}
	if err := s.api.DeleteWebhookSecret(c.Request().Context(), user(c), tr, c.Param("secret")); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/definitions/%s/hooks?deleted=%s", tr.Definition, c.Param("secret")))
}
