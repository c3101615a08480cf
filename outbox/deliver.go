package outbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/handoffhq/handoff/internal/webhook"
	"github.com/handoffhq/handoff/postgres"
)

func (d *Dispatcher) deliverEmail(ctx context.Context, it postgres.OutboxItem) error {
	if d.mailer == nil {
		return permanentError{errors.New("email is disabled: HANDOFF_SMTP_ADDR is not set")}
	}
	var e Email
	if err := json.Unmarshal(it.Payload, &e); err != nil {
		return permanentError{fmt.Errorf("decode email: %w", err)}
	}
	links, err := d.approvalLinks(ctx, e)
	if err != nil {
		return err
	}
	return d.mailer.Send(ctx, message(it.ID, e, d.cfg.PublicURL, links))
}

// ApprovalLinkTTL is how long the approve and reject links of an approval email stay
// good.
const ApprovalLinkTTL = 7 * 24 * time.Hour

// decisionLink is an approve or reject link of an approval email.
type decisionLink struct{ Outcome, URL string }

// approvalLinks are the approve and reject links of an email telling a user about an
// open approval: each a random token for that task, person and outcome, stored as its
// hash until it expires (web/approve.go uses it once). Other emails have none.
func (d *Dispatcher) approvalLinks(ctx context.Context, e Email) ([]decisionLink, error) {
	if e.Task == nil || e.Task.Kind != "approval" || e.User == "" {
		return nil, nil
	}
	var out []decisionLink
	for _, outcome := range []string{"approved", "rejected"} {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		token := base64.RawURLEncoding.EncodeToString(b)
		sum := sha256.Sum256([]byte(token))
		if err := d.db.CreateApprovalLink(ctx, hex.EncodeToString(sum[:]), postgres.ApprovalLink{TaskID: e.Task.ID,
			UserID: e.User, Outcome: outcome, ExpiresAt: time.Now().Add(ApprovalLinkTTL)}); err != nil {
			return nil, err
		}
		out = append(out, decisionLink{Outcome: outcome, URL: strings.TrimRight(d.cfg.PublicURL, "/") + "/approve?token=" + token})
	}
	return out, nil
}

func (d *Dispatcher) deliverWebhook(ctx context.Context, it postgres.OutboxItem) error {
	var w Webhook
	if err := json.Unmarshal(it.Payload, &w); err != nil {
		return permanentError{fmt.Errorf("decode webhook: %w", err)}
	}
	sub, err := d.db.Subscription(ctx, w.Subscription)
	if errors.Is(err, postgres.ErrNotFound) {
		return permanentError{fmt.Errorf("subscription %s was deleted", w.Subscription)}
	}
	if err != nil {
		return err
	}
	if sub.Disabled {
		return permanentError{fmt.Errorf("subscription %s is disabled", sub.ID)}
	}
	key, err := d.signingKey(sub)
	if err != nil {
		return err
	}
	var body bytes.Buffer
	if err := json.Compact(&body, w.Body); err != nil {
		return permanentError{fmt.Errorf("encode event: %w", err)}
	}
	return Post(ctx, d.http, sub.URL, key, it.ID, body.Bytes())
}

// signingKey opens a subscription's sealed signing secret.
func (d *Dispatcher) signingKey(sub postgres.Subscription) ([]byte, error) {
	if d.box == nil {
		return nil, errors.New("cannot sign: HANDOFF_SECRETS_KEY is not set")
	}
	secret, err := d.box.Open(SecretName(sub.ID), sub.SealedSecret)
	if err != nil {
		return nil, fmt.Errorf("subscription %s: %w", sub.ID, err)
	}
	key, err := webhook.ParseSecret(string(secret))
	if err != nil {
		return nil, permanentError{fmt.Errorf("subscription %s: signing secret: %w", sub.ID, err)}
	}
	return key, nil
}
