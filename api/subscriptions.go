package api

import (
	"context"
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

// CreateSubscriptionRequest subscribes a URL to outbound events.
type CreateSubscriptionRequest struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
}

// Subscription sends the events it lists to its URL, signed (Standard Webhooks).
type Subscription struct {
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
func (r CreateSubscriptionRequest) validate() []FieldError {
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

// SubscriptionPage is a page of subscriptions.
type SubscriptionPage struct {
	Subscriptions []Subscription `json:"subscriptions"`
	NextPageToken string         `json:"next_page_token"`
}

// CreateSubscription stores a subscription with a new signing secret, sealed under the
// secrets key, and shows the secret this once (admins).
func (s *Server) CreateSubscription(ctx context.Context, me postgres.User, req CreateSubscriptionRequest) (Subscription, error) {
	if err := need(me, roleAdmin); err != nil {
		return Subscription{}, err
	}
	if errs := req.validate(); len(errs) > 0 {
		return Subscription{}, invalid("the subscription is invalid", errs...)
	}
	if err := s.cfg.HTTP.CheckURL(ctx, req.URL); err != nil {
		return Subscription{}, invalid("the subscription's destination is blocked by the SSRF guard",
			FieldError{"url", fmt.Sprintf("%v; %s", err, safehttp.Hint(err))})
	}
	if s.cfg.Secrets == nil {
		return Subscription{}, problem(http.StatusServiceUnavailable,
			"subscriptions cannot be created: the server has no HANDOFF_SECRETS_KEY to seal their signing secrets")
	}
	id := newSubscriptionID()
	secret := webhook.NewSecret()
	sub, err := s.db.CreateSubscription(ctx, postgres.Subscription{
		ID: id, URL: req.URL, Events: req.Events, Description: req.Description, CreatedBy: me.ID,
		SealedSecret: s.cfg.Secrets.Seal(outbox.SecretName(id), []byte(secret)),
	})
	if err != nil {
		return Subscription{}, err
	}
	res := subscriptionResource(sub)
	res.Secret = secret
	return res, nil
}

// ListSubscriptions lists the subscriptions (admins).
func (s *Server) ListSubscriptions(ctx context.Context, me postgres.User, q PageRequest) (SubscriptionPage, error) {
	if err := need(me, roleAdmin); err != nil {
		return SubscriptionPage{}, err
	}
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return SubscriptionPage{}, err
	}
	subs, err := s.db.ListSubscriptions(ctx, q.PageToken, limit+1)
	if err != nil {
		return SubscriptionPage{}, err
	}
	out := SubscriptionPage{Subscriptions: make([]Subscription, 0, len(subs))}
	if len(subs) > limit {
		subs = subs[:limit]
		out.NextPageToken = subs[limit-1].ID
	}
	for _, sub := range subs {
		out.Subscriptions = append(out.Subscriptions, subscriptionResource(sub))
	}
	return out, nil
}

// GetSubscription answers one subscription, without its secret (admins).
func (s *Server) GetSubscription(ctx context.Context, me postgres.User, id string) (Subscription, error) {
	if err := need(me, roleAdmin); err != nil {
		return Subscription{}, err
	}
	sub, err := s.db.Subscription(ctx, id)
	if err != nil {
		return Subscription{}, notFound(err, "subscription %q", id)
	}
	return subscriptionResource(sub), nil
}

// DeleteSubscription removes a subscription; deliveries still queued for it are dropped (admins).
func (s *Server) DeleteSubscription(ctx context.Context, me postgres.User, id string) error {
	if err := need(me, roleAdmin); err != nil {
		return err
	}
	return notFound(s.db.DeleteSubscription(ctx, id), "subscription %q", id)
}

func subscriptionResource(sub postgres.Subscription) Subscription {
	return Subscription{ID: sub.ID, URL: sub.URL, Events: nonNil(sub.Events),
		Description: sub.Description, CreatedBy: sub.CreatedBy, CreatedAt: sub.CreatedAt}
}

// newSubscriptionID returns "sub_" and 32 random hex digits.
func newSubscriptionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "sub_" + hex.EncodeToString(b)
}

// ---- HTTP

func (s *Server) createSubscription(c echo.Context) error {
	var req CreateSubscriptionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	sub, err := s.CreateSubscription(c.Request().Context(), caller(c), req)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/v1/subscriptions/"+sub.ID)
	return c.JSON(http.StatusCreated, sub)
}

func (s *Server) listSubscriptions(c echo.Context) error {
	q, err := pageRequest(c)
	if err != nil {
		return err
	}
	page, err := s.ListSubscriptions(c.Request().Context(), caller(c), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (s *Server) getSubscription(c echo.Context) error {
	sub, err := s.GetSubscription(c.Request().Context(), caller(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sub)
}

func (s *Server) deleteSubscription(c echo.Context) error {
	if err := s.DeleteSubscription(c.Request().Context(), caller(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
