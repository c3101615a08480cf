// Package activities holds the side effects of Handoff runs, the Temporal activities the
// interpreter (package workflows) calls by name and package worker registers, one file
// per family:
//
//   - inbox.go, outbound.go: SyncInbox writes a run's changes to the Postgres projection
//     (the run row, tasks opened and closed, managers resolved against the directory)
//     and queues in the same transaction what they cause: emails to the people
//     concerned and events for subscriptions (delivered by package outbox);
//   - http.go, http_response.go: HTTPCall makes an http step's request through the
//     SSRF-guarded client, resolving secret headers, capping and redacting the answer;
//   - notify.go: Notify queues a notify step's email or posts its Slack or webhook message;
//   - definitions.go: LoadDefinition reads the published definition a subprocess starts;
//   - directory.go: LookupUser reads who the actor of a signalled completion is.
//
// Activities are methods on Activities, which holds their dependencies; failures that a
// retry cannot fix are non-retryable application errors, so the step's on_failure
// decides at once. Each is idempotent by what its input names (the run, the step, its
// round), as Temporal may run an activity more than once.
package activities

import (
	"log/slog"
	"net/http"

	"github.com/handoffhq/handoff/internal/secrets"
	"github.com/handoffhq/handoff/postgres"
)

// Activities holds the dependencies of every activity. Its methods are the activities.
type Activities struct {
	DB     *postgres.DB
	Logger *slog.Logger

	// HTTP is the SSRF-guarded client of every outbound call (safehttp.NewClient).
	HTTP *http.Client
	// HTTPMaxBody caps an http step's response body; 0 means safehttp.DefaultMaxBodyBytes.
	HTTPMaxBody int64
	// Secrets resolves the secret headers of http steps.
	Secrets *secrets.Resolver
}
