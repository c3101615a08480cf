package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/internal/safehttp"
	"github.com/handoffhq/handoff/internal/webhook"
	"github.com/handoffhq/handoff/outbox"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// Error types of Notify failures (temporal.ApplicationError.Type()).
const (
	ErrTypeNotifyRequest = "NotifyRequest" // the message cannot be sent as rendered
	ErrTypeNotifyStatus  = "NotifyStatus"  // the endpoint answered an error status
)

// NotifySigningSecret names the secret (resolved like any other: the environment
// variable HANDOFF_SECRET_NOTIFY_WEBHOOK_SECRET, then the store) that signs notify steps'
// generic webhooks; its value is a Standard Webhooks secret, "whsec_" and base64.
const NotifySigningSecret = "notify_webhook_secret"

// NotifyEvent is the type of the events notify steps send to generic webhooks.
const NotifyEvent = "notify.message"

// Notify sends a notify step's message. Email is queued in the outbox, once per
// recipient however often the activity retries (keyed by the request's IdempotencyKey),
// and the step completes as soon as it is queued. Slack and webhook messages are posted
// now, so a failure is retried by Temporal and then reaches the step's failure handling.
func (a *Activities) Notify(ctx context.Context, req workflows.NotifyRequest) error {
	switch req.Channel {
	case definitions.ChannelEmail, "":
		return a.notifyEmail(ctx, req)
	case definitions.ChannelSlack:
		body, _ := json.Marshal(map[string]string{"text": req.Message})
		return a.post(ctx, req, nil, body)
	case definitions.ChannelWebhook:
		return a.notifyWebhook(ctx, req)
	}
	return permanent(ErrTypeNotifyRequest, "unknown notify channel %q", req.Channel)
}

// notifyEmail queues the message to the users, group members, managers and addresses.
// Recipients without an address are skipped (and logged); nobody to write to at all is a
// permanent error, so the step's failure handling decides.
func (a *Activities) notifyEmail(ctx context.Context, req workflows.NotifyRequest) error {
	to, err := a.emailAddresses(ctx, req)
	if err != nil {
		return err
	}
	if len(to) == 0 {
		return permanent(ErrTypeNotifyRequest, "nobody to email: no recipient of step %s has an email address", req.StepID)
	}
	subject := req.Subject
	if subject == "" {
		subject = "Handoff: " + req.RunID
	}
	items := make([]postgres.NewOutboxItem, 0, len(to))
	for _, addr := range to {
		it, err := outbox.MessageEmail("notify/"+req.IdempotencyKey, addr, subject, req.Message)
		if err != nil {
			return permanent(ErrTypeNotifyRequest, "%v", err)
		}
		items = append(items, it)
	}
	if _, err := a.DB.Enqueue(ctx, items); err != nil {
		return fmt.Errorf("queue email of step %s: %w", req.StepID, err)
	}
	return nil
}

// emailAddresses resolves the request's recipients to distinct addresses.
func (a *Activities) emailAddresses(ctx context.Context, req workflows.NotifyRequest) ([]string, error) {
	var to []string
	for _, addr := range req.Addresses {
		parsed, err := mail.ParseAddress(addr)
		if err != nil || strings.Contains(addr, "{{") {
			return nil, permanent(ErrTypeNotifyRequest, "address %q is not an email address", addr)
		}
		to = appendNew(to, parsed.Address)
	}
	var kinds, names []string
	add := func(kind string, vs []string) {
		for _, v := range vs {
			kinds, names = append(kinds, kind), append(names, v)
		}
	}
	add(postgres.PrincipalUser, req.Users)
	add(postgres.PrincipalGroup, req.Groups)
	add(postgres.PrincipalManagerOf, req.ManagerOf)
	if len(kinds) == 0 {
		return to, nil
	}
	rs, err := a.DB.Recipients(ctx, kinds, names)
	if err != nil {
		return nil, fmt.Errorf("resolve recipients of step %s: %w", req.StepID, err)
	}
	for _, r := range rs {
		if r.Email == "" {
			if a.Logger != nil {
				a.Logger.WarnContext(ctx, "notify: user has no email address", "user", r.UserID, "step", req.StepID)
			}
			continue
		}
		to = appendNew(to, r.Email)
	}
	return to, nil
}

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// notifyWebhook posts {type, timestamp, data} signed per Standard Webhooks.
func (a *Activities) notifyWebhook(ctx context.Context, req workflows.NotifyRequest) error {
	secret, err := a.resolveSecret(ctx, NotifySigningSecret)
	if err != nil {
		return err
	}
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		return permanent(ErrTypeSecret, "secret %s: %v", NotifySigningSecret, err)
	}
	body, err := json.Marshal(map[string]any{
		"type":      NotifyEvent,
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano),
		"data": map[string]string{"run_id": req.RunID, "step_id": req.StepID,
			"subject": req.Subject, "message": req.Message},
	})
	if err != nil {
		return permanent(ErrTypeNotifyRequest, "encode the message: %v", err)
	}
	return a.post(ctx, req, key, body)
}

// post sends body to the request's URL (or the URL its secret holds), signed when key is
// set, with a webhook-id derived from the idempotency key so every retry carries the same.
// Errors never name more of the URL than its scheme and host: a Slack URL is a credential.
func (a *Activities) post(ctx context.Context, req workflows.NotifyRequest, key []byte, body []byte) error {
	if a.HTTP == nil {
		return permanent(ErrTypeNotifyRequest, "this worker has no HTTP client configured")
	}
	target := req.URL
	if req.URLSecret != "" {
		v, err := a.resolveSecret(ctx, req.URLSecret)
		if err != nil {
			return err
		}
		target = v
	}
	if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return permanent(ErrTypeNotifyRequest, "the %s URL of step %s is not an absolute http or https URL", req.Channel, req.StepID)
	}
	sum := sha256.Sum256([]byte(req.IdempotencyKey))
	err := outbox.Post(ctx, a.HTTP, target, key, "msg_"+hex.EncodeToString(sum[:12]), body)
	var status *outbox.StatusError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &status):
		msg := fmt.Sprintf("%s notification of step %s: %v", req.Channel, req.StepID, err)
		if status.Code >= 400 && status.Code < 500 && status.Code != http.StatusRequestTimeout && status.Code != http.StatusTooManyRequests {
			return permanent(ErrTypeNotifyStatus, "%s", msg)
		}
		return temporal.NewApplicationError(msg, ErrTypeNotifyStatus)
	case errors.Is(err, safehttp.ErrBlocked):
		return permanent(ErrTypeHTTPBlocked, "%s notification of step %s: %v (%s)", req.Channel, req.StepID, err, safehttp.Hint(err))
	case errors.Is(err, safehttp.ErrRedirect):
		return permanent(ErrTypeHTTPBlocked, "%s notification of step %s: %v", req.Channel, req.StepID, err)
	case outbox.Permanent(err):
		return permanent(ErrTypeNotifyRequest, "%v", err)
	}
	return temporal.NewApplicationError(fmt.Sprintf("%s notification of step %s: %v", req.Channel, req.StepID, err), "NotifyTransport")
}
