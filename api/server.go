package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/internal/safehttp"
	"github.com/handoffhq/handoff/internal/secrets"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// Config tunes the API. Zero values take the documented defaults.
type Config struct {
	// TaskQueue is the queue runs start on. Default workflows.TaskQueue.
	TaskQueue string
	// ContinueAsNewAfter makes runs continue as new once their history reaches this many
	// events (0: when Temporal suggests it). For tests and tuning.
	ContinueAsNewAfter int
	// Namespace is the Temporal namespace runs live in (reported in run resources). Default "default".
	Namespace string
	// MaxBodyBytes caps request bodies. Default 1 MiB (definitions are capped at 256 KiB by the language).
	MaxBodyBytes int64
	// UpdateTimeout bounds how long a task completion, or a read of a run's state, waits
	// for the run. Default 30s.
	UpdateTimeout time.Duration
	// Secrets seals secret values stored through the API; nil (no HANDOFF_SECRETS_KEY)
	// makes storing one a 503.
	Secrets *secrets.Box
	// Metrics receives the HTTP metrics and is served at GET /metrics; nil turns both off.
	Metrics *prometheus.Registry
	// DataConverter decodes history payloads for audit trails and evidence: the
	// Temporal client's. Default converter.GetDefaultDataConverter().
	DataConverter converter.DataConverter
	// Codec is the payload encryption codec served at /codec/encode and /codec/decode;
	// nil (encryption off) makes them 404.
	Codec converter.PayloadCodec
	// CodecCORSOrigins are the Temporal Web origins that may call the codec endpoints.
	CodecCORSOrigins []string
	// MaxInFlight is how many requests may be in progress at once; beyond it a request
	// is answered 503 with Retry-After at once (load shedding). Default 256.
	MaxInFlight int
	// HTTP is the SSRF guard's configuration (the worker's HANDOFF_HTTP_ALLOW): a
	// subscription's URL is checked against it when the subscription is created.
	HTTP safehttp.Config
	// Web is the browser app (package web), mounted on this router after the API's
	// routes: one port, one router. nil serves the API alone.
	Web interface{ Mount(*echo.Echo) }
}

func (c *Config) applyDefaults() {
	if c.TaskQueue == "" {
		c.TaskQueue = workflows.TaskQueue
	}
	if c.Namespace == "" {
		c.Namespace = "default"
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.UpdateTimeout == 0 {
		c.UpdateTimeout = 30 * time.Second
	}
	if c.DataConverter == nil {
		c.DataConverter = converter.GetDefaultDataConverter()
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 256
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
	metrics  *httpMetrics // nil when metrics are off
	// codecHandler serves the codec endpoints; nil when encryption is off.
	codecHandler http.Handler
}

// New returns the API over the store, the Temporal client and the CEL engine.
func New(cfg Config, db *postgres.DB, tc client.Client, engine *definitions.Engine, log *slog.Logger) *Server {
	cfg.applyDefaults()
	s := &Server{cfg: cfg, db: db, temporal: tc, engine: engine, log: log, echo: echo.New()}
	if cfg.Codec != nil {
		s.codecHandler = converter.NewPayloadCodecHTTPHandler(cfg.Codec)
	}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(log)
	e.Use(middleware.Recover(), s.limitBody, s.logRequests, limitInFlight(cfg.MaxInFlight), checkParams)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/openapi.yaml", s.openAPIDocument)
	s.codecRoutes(e)
	if cfg.Metrics != nil {
		m, err := newHTTPMetrics(cfg.Metrics)
		if err != nil {
			log.Error("http metrics are off", "error", err)
		}
		s.metrics = m
		e.GET("/metrics", echo.WrapHandler(MetricsHandler(cfg.Metrics)))
	}

	v1 := e.Group("/v1")
	v1.GET("/definitions/schema.json", s.definitionSchema)
	v1.POST("/hooks/:definition/:trigger", s.receiveWebhook) // the signature authenticates
	// Each handler decodes the request and calls the operation of the same name, which
	// authorises the caller (package doc).
	authed := v1.Group("", s.authenticate)
	authed.POST("/definitions/validate", s.validateDefinition)
	authed.POST("/definitions", s.publishDefinition)
	authed.GET("/definitions", s.listDefinitions)
	authed.GET("/definitions/:key", s.getDefinition)
	authed.GET("/definitions/:key/versions/:version", s.getDefinitionVersion)
	authed.POST("/definitions/:key/form", s.resolveStartForm)

	authed.POST("/runs", s.startRun)
	authed.GET("/runs", s.listRuns)
	authed.GET("/runs/:id", s.getRun)
	authed.POST("/runs/:id/cancel", s.cancelRun)
	authed.POST("/runs/:id/events/:name", s.deliverEvent)
	authed.POST("/runs/:id/steps/:step/expedite", s.expediteStep, require(roleAdmin))
	authed.GET("/runs/:id/audit", s.getAudit)
	authed.GET("/runs/:id/evidence", s.getEvidence)
	authed.GET("/reports/definitions/:key", s.definitionReport)

	authed.GET("/tasks", s.listTasks)
	authed.GET("/tasks/:id", s.getTask)
	authed.POST("/tasks/:id/complete", s.completeTask)
	authed.POST("/tasks/:id/form", s.resolveTaskForm)
	authed.POST("/tasks/:id/claim", s.claimTask)
	authed.POST("/tasks/:id/release", s.releaseTask)
	authed.POST("/tasks/:id/reassign", s.reassignTask)
	authed.POST("/tasks/:id/delegate", s.delegateTask)

	authed.POST("/users", s.createUser)
	authed.GET("/users", s.listUsers)
	authed.GET("/users/:id", s.getUser)
	authed.PATCH("/users/:id", s.updateUser)
	authed.POST("/users/:id/deactivate", s.deactivateUser)
	authed.POST("/users/:id/reactivate", s.reactivateUser)
	authed.POST("/api-keys", s.createAPIKey)
	authed.GET("/api-keys", s.listAPIKeys)
	authed.DELETE("/api-keys/:id", s.revokeAPIKey)

	authed.PUT("/secrets/:name", s.putSecret)
	authed.GET("/secrets", s.listSecrets)
	authed.DELETE("/secrets/:name", s.deleteSecret)

	authed.POST("/subscriptions", s.createSubscription)
	authed.GET("/subscriptions", s.listSubscriptions)
	authed.GET("/subscriptions/:id", s.getSubscription)
	authed.DELETE("/subscriptions/:id", s.deleteSubscription)

	authed.POST("/hooks/:definition/:trigger/secrets", s.createWebhookSecret)
	authed.GET("/hooks/:definition/:trigger/secrets", s.listWebhookSecrets)
	authed.DELETE("/hooks/:definition/:trigger/secrets/:id", s.deleteWebhookSecret)

	authed.POST("/schedules", s.createSchedule)
	authed.GET("/schedules", s.listSchedules)
	authed.GET("/schedules/:id", s.getSchedule)
	authed.DELETE("/schedules/:id", s.deleteSchedule)
	authed.POST("/schedules/:id/pause", s.pauseSchedule)
	authed.POST("/schedules/:id/unpause", s.unpauseSchedule)
	if cfg.Web != nil {
		cfg.Web.Mount(e)
	}
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

// logRequests writes one structured line per request, with the run and task it is
// about, and counts it in the HTTP metrics.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		l := withRequestLog(c)
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		elapsed := time.Since(start)
		if s.metrics != nil {
			s.metrics.observe(c, elapsed)
		}
		attrs := append([]any{"method", c.Request().Method, "path", c.Request().URL.Path, "route", c.Path(),
			"status", c.Response().Status, "duration_ms", elapsed.Milliseconds()}, requestIDs(c, l)...)
		s.log.InfoContext(c.Request().Context(), "http", attrs...)
		return nil
	}
}
