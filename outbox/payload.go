// Package outbox delivers what Handoff queues in the Postgres outbox: emails through
// SMTP and subscription events as Standard Webhooks. Activities queue deliveries in the
// same transaction as the change that caused them; the Dispatcher, running in the
// worker process, delivers each at least once, retrying with exponential backoff and
// marking it dead (with the last error) when it gives up.
package outbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/handoffhq/handoff/postgres"
)

// Subscription event types.
const (
	EventRunStarted    = "run.started"
	EventRunCompleted  = "run.completed"
	EventRunCancelled  = "run.cancelled"
	EventStepFailed    = "step.failed"
	EventTaskAssigned  = "task.assigned"
	EventTaskCompleted = "task.completed"
	EventTaskOverdue   = "task.overdue"
)

// EventTypes lists the event types a subscription may ask for.
func EventTypes() []string {
	return []string{EventRunStarted, EventRunCompleted, EventRunCancelled, EventStepFailed,
		EventTaskAssigned, EventTaskCompleted, EventTaskOverdue}
}

// ValidEvent reports whether typ is an event type a subscription may ask for.
func ValidEvent(typ string) bool { return slices.Contains(EventTypes(), typ) }

// Email is the payload of an email delivery: a notice about a task (Task set; the
// text is written at delivery, with the link to the task) or a ready message (Subject
// and Body, from a notify step).
type Email struct {
	To      string      `json:"to"`
	User    string      `json:"user,omitempty"`
	Event   string      `json:"event,omitempty"`
	Task    *TaskNotice `json:"task,omitempty"`
	Subject string      `json:"subject,omitempty"`
	Body    string      `json:"body,omitempty"`
}

// TaskNotice is what a task email says about the task.
type TaskNotice struct {
	ID    string `json:"id"`
	RunID string `json:"run_id"`
	Title string `json:"title"`
	// Kind is the task's kind: an approval's email carries approve and reject links.
	Kind    string     `json:"kind,omitempty"`
	Summary string     `json:"summary,omitempty"`
	DueAt   *time.Time `json:"due_at,omitempty"`
	// TimeZone is the definition's IANA time zone, in which the due time is shown; ""
	// is UTC.
	TimeZone string `json:"time_zone,omitempty"`
}

// Webhook is the payload of a subscription delivery: the subscription and the body
// to sign and send, {type, timestamp, data}.
type Webhook struct {
	Subscription string          `json:"subscription"`
	Body         json.RawMessage `json:"body"`
}

// MessageEmail returns the delivery of a ready message to one address. The dedupe key
// is key + "/" + address, so each recipient gets it once however often it is queued.
func MessageEmail(key, to, subject, body string) (postgres.NewOutboxItem, error) {
	p, err := json.Marshal(Email{To: to, Subject: subject, Body: body})
	if err != nil {
		return postgres.NewOutboxItem{}, fmt.Errorf("encode email to %s: %w", to, err)
	}
	return postgres.NewOutboxItem{Kind: postgres.OutboxEmail, Payload: p, DedupeKey: key + "/" + to}, nil
}

// SecretName is the name a subscription's signing secret is sealed under (the
// additional data of its AES-GCM seal), so a sealed secret opens only for its subscription.
func SecretName(subscriptionID string) string { return "subscription:" + subscriptionID }
