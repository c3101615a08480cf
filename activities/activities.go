// Package activities holds the side effects of Handoff runs: the Postgres inbox
// projection and directory lookups. The interpreter calls them by name; the worker
// registers them.
package activities

import (
	"log/slog"

	"github.com/handoffhq/handoff/postgres"
)

// Activities holds the dependencies of every activity. Its methods are the activities.
type Activities struct {
	DB     *postgres.DB
	Logger *slog.Logger
}
