// Package activities holds the side effects of Handoff runs: the Postgres inbox
// projection and directory lookups. The interpreter calls them by name; the worker
// registers them.
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
