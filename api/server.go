// Package api is Handoff's HTTP API (Echo v4): definitions, runs, the task inbox and
// the directory. It owns its request and response types; errors become RFC 9457
// problem+json in one handler (errors.go).
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.temporal.io/sdk/client"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/postgres"
)

// Config tunes the API. Zero values take the documented defaults.
type Config struct {
	// Namespace is the Temporal namespace runs live in (reported in run resources). Default "default".
	Namespace string
	// MaxBodyBytes caps request bodies. Default 1 MiB (definitions are capped at 256 KiB by the language).
	MaxBodyBytes int64
	// UpdateTimeout bounds how long a task completion waits for the run. Default 30s.
	UpdateTimeout time.Duration
}

func (c *Config) applyDefaults() {
	if c.Namespace == "" {
		c.Namespace = "default"
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.UpdateTimeout == 0 {
		c.UpdateTimeout = 30 * time.Second
	}
}

// Server is the HTTP API. It is an http.Handler.
type Server struct {
	cfg      Config
	db       *postgres.DB
	temporal client.Client
	engine   *definitions.Engine
	log      *slog.Logger
	echo     *echo.Echo
}

// New returns the API over the store, the Temporal client and the CEL engine.
func New(cfg Config, db *postgres.DB, tc client.Client, engine *definitions.Engine, log *slog.Logger) *Server {
	cfg.applyDefaults()
	s := &Server{cfg: cfg, db: db, temporal: tc, engine: engine, log: log, echo: echo.New()}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(log)
	e.Use(middleware.Recover(), s.limitBody, s.logRequests)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)

	v1 := e.Group("/v1")
	v1.GET("/definitions/schema.json", s.definitionSchema)
	authed := v1.Group("", s.authenticate)
	authed.POST("/definitions/validate", s.validateDefinition, require(roleDesigner))
	authed.POST("/definitions", s.publishDefinition, require(roleDesigner))
	authed.GET("/definitions", s.listDefinitions)
	authed.GET("/definitions/:key", s.getDefinition)
	authed.GET("/definitions/:key/versions/:version", s.getDefinitionVersion)

	authed.POST("/runs", s.startRun)
	authed.GET("/runs", s.listRuns)
	authed.GET("/runs/:id", s.getRun)
	authed.POST("/runs/:id/cancel", s.cancelRun)
	authed.POST("/runs/:id/events/:name", s.deliverEvent)

	authed.GET("/tasks", s.listTasks)
	authed.GET("/tasks/:id", s.getTask)
	authed.POST("/tasks/:id/complete", s.completeTask)
	authed.POST("/tasks/:id/claim", s.claimTask)
	authed.POST("/tasks/:id/reassign", s.reassignTask)
	authed.POST("/tasks/:id/delegate", s.delegateTask)

	authed.POST("/users", s.createUser, require(roleAdmin))
	authed.GET("/users", s.listUsers, require(roleAdmin))
	authed.GET("/users/:id", s.getUser, require(roleAdmin))
	authed.POST("/api-keys", s.createAPIKey, require(roleAdmin))
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when Postgres and Temporal both answer, 503 naming the one that does not.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		return problem(http.StatusServiceUnavailable, "postgres is not reachable")
	}
	if _, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return problem(http.StatusServiceUnavailable, "temporal is not reachable")
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// limitBody caps every request body at Config.MaxBodyBytes.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		r.Body = http.MaxBytesReader(c.Response(), r.Body, s.cfg.MaxBodyBytes)
		return next(c)
	}
}

// logRequests writes one structured line per request.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		s.log.InfoContext(c.Request().Context(), "http",
			"method", c.Request().Method, "path", c.Request().URL.Path,
			"status", c.Response().Status, "duration_ms", time.Since(start).Milliseconds())
		return nil
	}
}
