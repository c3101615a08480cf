package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/internal/safehttp"
	"github.com/handoffhq/handoff/internal/webhook"
	"github.com/handoffhq/handoff/outbox"
	"github.com/handoffhq/handoff/postgres"
)

const (
	maxSubscriptionURL         = 2048
	maxSubscriptionDescription = 500
)

type createSubscriptionRequest struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
}

type subscriptionResource struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	Description string    `json:"description,omitempty"`
	CreatedBy   string    `json:"created_by,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	// Secret is the Standard Webhooks signing secret, in the creation answer only.
	Secret string `json:"secret,omitempty"`
}

// validate checks a new subscription, naming every field at fault.
func (r createSubscriptionRequest) validate() []FieldError {
	var errs []FieldError
	u, err := url.Parse(r.URL)
	switch {
	case r.URL == "":
		errs = append(errs, FieldError{"url", "is required"})
	case len(r.URL) > maxSubscriptionURL:
		errs = append(errs, FieldError{"url", fmt.Sprintf("must be at most %d characters", maxSubscriptionURL)})
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		errs = append(errs, FieldError{"url", "must be an absolute http or https URL"})
	case u.User != nil:
		errs = append(errs, FieldError{"url", "must not carry credentials; verify the signature instead"})
	}
	if len(r.Events) == 0 {
		errs = append(errs, FieldError{"events", "must list at least one of " + strings.Join(outbox.EventTypes(), ", ")})
	}
	for i, e := range r.Events {
		switch {
		case !outbox.ValidEvent(e):
			errs = append(errs, FieldError{fmt.Sprintf("events[%d]", i),
				fmt.Sprintf("%q is not one of %s", e, strings.Join(outbox.EventTypes(), ", "))})
		case slices.Index(r.Events, e) < i:
			errs = append(errs, FieldError{fmt.Sprintf("events[%d]", i), fmt.Sprintf("%q is listed twice", e)})
		}
	}
	if len(r.Description) > maxSubscriptionDescription {
		errs = append(errs, FieldError{"description", fmt.Sprintf("must be at most %d characters", maxSubscriptionDescription)})
	}
	return errs
}

// createSubscription stores a subscription with a new signing secret, sealed under the
// secrets key, and shows the secret this once.
func (s *Server) createSubscription(c echo.Context) error {
	var req createSubscriptionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if errs := req.validate(); len(errs) > 0 {
		return invalid("the subscription is invalid", errs...)
	}
	if err := s.cfg.HTTP.CheckURL(c.Request().Context(), req.URL); err != nil {
		return invalid("the subscription's destination is blocked by the SSRF guard",
			FieldError{"url", fmt.Sprintf("%v; %s", err, safehttp.Hint(err))})
	}
	if s.cfg.Secrets == nil {
		return problem(http.StatusServiceUnavailable,
			"subscriptions cannot be created: the server has no HANDOFF_SECRETS_KEY to seal their signing secrets")
	}
	id := newSubscriptionID()
	secret := webhook.NewSecret()
	sub, err := s.db.CreateSubscription(c.Request().Context(), postgres.Subscription{
		ID: id, URL: req.URL, Events: req.Events, Description: req.Description, CreatedBy: caller(c).ID,
		SealedSecret: s.cfg.Secrets.Seal(outbox.SecretName(id), []byte(secret)),
	})
	if err != nil {
		return err
	}
	res := subscriptionJSON(sub)
	res.Secret = secret
	c.Response().Header().Set("Location", "/v1/subscriptions/"+sub.ID)
	return c.JSON(http.StatusCreated, res)
}

func (s *Server) listSubscriptions(c echo.Context) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	subs, err := s.db.ListSubscriptions(c.Request().Context(), c.QueryParam("page_token"), limit+1)
	if err != nil {
		return err
	}
	next := ""
	if len(subs) > limit {
		subs = subs[:limit]
		next = subs[limit-1].ID
	}
	out := make([]subscriptionResource, 0, len(subs))
	for _, sub := range subs {
		out = append(out, subscriptionJSON(sub))
	}
	return c.JSON(http.StatusOK, map[string]any{"subscriptions": out, "next_page_token": next})
}

func (s *Server) getSubscription(c echo.Context) error {
	sub, err := s.db.Subscription(c.Request().Context(), c.Param("id"))
	if err != nil {
		return notFound(err, "subscription %q", c.Param("id"))
	}
	return c.JSON(http.StatusOK, subscriptionJSON(sub))
}

// deleteSubscription removes a subscription; deliveries still queued for it are dropped.
func (s *Server) deleteSubscription(c echo.Context) error {
	if err := s.db.DeleteSubscription(c.Request().Context(), c.Param("id")); err != nil {
		return notFound(err, "subscription %q", c.Param("id"))
	}
	return c.NoContent(http.StatusNoContent)
}

func subscriptionJSON(sub postgres.Subscription) subscriptionResource {
	return subscriptionResource{ID: sub.ID, URL: sub.URL, Events: nonNil(sub.Events),
		Description: sub.Description, CreatedBy: sub.CreatedBy, CreatedAt: sub.CreatedAt}
}

// newSubscriptionID returns "sub_" and 32 random hex digits.
func newSubscriptionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "sub_" + hex.EncodeToString(b)
}
