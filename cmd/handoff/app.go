package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/handoffhq/handoff/activities"
	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/encryption"
	"github.com/handoffhq/handoff/internal/safehttp"
	"github.com/handoffhq/handoff/internal/secrets"
	"github.com/handoffhq/handoff/outbox"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/web"
	hworker "github.com/handoffhq/handoff/worker"
	"github.com/handoffhq/handoff/workflows"
)

// Main is one running Handoff process: the API, the worker, or both. End-to-end tests
// run it on 127.0.0.1:0 exactly as the binary does.
type Main struct {
	Config Config
	Logger *slog.Logger
	// API and Worker choose what this process runs.
	API, Worker bool
	// Migrate applies database migrations before starting.
	Migrate bool
	// Outbound, when set, replaces the SSRF-guarded transport of http and notify steps:
	// tests serve the integrations of the shipped definitions (https://erp.example.com,
	// …) in process with it. Subscriptions keep the guarded client.
	Outbound http.RoundTripper
	// Dev turns on what only `handoff dev` offers: the web app's "sign in as".
	Dev bool

	DB       *postgres.DB
	Temporal client.Client
	Engine   *definitions.Engine

	secrets *secrets.Box         // nil without HANDOFF_SECRETS_KEY
	metrics *prometheus.Registry // nil when HANDOFF_METRICS=off
	// metricsServer serves GET /metrics for a worker-only process.
	metricsServer *http.Server
	metricsAddr   string
	codec         *encryption.Codec // nil unless HANDOFF_ENCRYPTION_KEYS is set
	dc            converter.DataConverter
	worker        worker.Worker
	outbox        *outbox.Dispatcher // delivers emails and webhooks; runs with the worker
	server        *http.Server
	api           *api.Server
	web           *web.Server
	listener      net.Listener
	served        chan error
}

// Run connects to Postgres and Temporal and starts what Main is asked to run. It
// returns once everything is serving; Close stops it.
func (m *Main) Run(ctx context.Context) error {
	if err := m.Config.Validate(); err != nil {
		return err
	}
	if m.Config.DatabaseURL == "" {
		return errors.New("HANDOFF_DATABASE_URL is not set")
	}
	db, err := postgres.Open(ctx, m.Config.DatabaseURL)
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	m.DB = db
	if m.Migrate {
		if err := db.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	var sdkMetrics client.MetricsHandler
	if m.metrics, sdkMetrics, err = newMetrics(m.Config); err != nil {
		return err
	}
	if m.codec, err = m.Config.Codec(); err != nil {
		return err
	}
	if m.dc, err = m.Config.DataConverter(); err != nil {
		return err
	}
	opts, err := m.Config.TemporalClientOptions()
	if err != nil {
		return err
	}
	opts.Logger, opts.MetricsHandler, opts.DataConverter = sdklog.NewStructuredLogger(quieter(m.Logger)), sdkMetrics, m.dc
	m.Temporal, err = client.DialContext(ctx, opts)
	if err != nil {
		return fmt.Errorf("connect to temporal at %s: %w", m.Config.TemporalAddress, err)
	}
	m.Engine = definitions.NewEngine()
	if m.secrets, err = m.Config.SecretsBox(); err != nil {
		return err
	}
	if m.Worker {
		httpCfg, err := m.Config.SafeHTTP()
		if err != nil {
			return err
		}
		outbound := safehttp.NewClient(httpCfg)
		if m.Outbound != nil {
			outbound = &http.Client{Transport: m.Outbound, Timeout: outbound.Timeout}
		}
		acts := &activities.Activities{DB: db, Logger: slog.New(activities.LogHandler(m.Logger.Handler())),
			HTTP: outbound, HTTPMaxBody: httpCfg.MaxBodyBytes,
			Secrets: &secrets.Resolver{LookupEnv: os.LookupEnv, Store: db, Box: m.secrets}}
		if m.Config.StickyCacheSize > 0 {
			worker.SetStickyWorkflowCacheSize(m.Config.StickyCacheSize) // process-wide: set before any worker starts
		}
		m.worker = hworker.New(m.Temporal, m.Config.TaskQueue, workflows.NewInterpreter(m.Engine), acts, worker.Options{})
		if err := m.worker.Start(); err != nil {
			return fmt.Errorf("start worker: %w", err)
		}
		outCfg := m.Config.Outbox()
		outCfg.InHistory = outbox.Confirmed(m.Temporal)
		m.outbox = outbox.New(outCfg, db, safehttp.NewClient(httpCfg), m.secrets, m.Logger)
		m.outbox.Start()
		if !m.API && m.metrics != nil {
			if err := m.serveMetrics(); err != nil {
				return err
			}
		}
	}
	if m.API {
		if err := m.serve(); err != nil {
			return err
		}
	}
	return nil
}

func (m *Main) serve() error {
	ln, err := net.Listen("tcp", m.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.HTTPAddr, err)
	}
	m.listener = ln
	httpCfg, err := m.Config.SafeHTTP()
	if err != nil {
		return err
	}
	apiCfg := api.Config{HTTP: httpCfg, Namespace: m.Config.TemporalNamespace, TaskQueue: m.Config.TaskQueue, ContinueAsNewAfter: m.Config.ContinueAsNewAfter, Secrets: m.secrets, Metrics: m.metrics,
		DataConverter: m.dc, CodecCORSOrigins: m.Config.CodecCORSOrigins(), MaxInFlight: m.Config.MaxInFlight}
	if m.codec != nil {
		apiCfg.Codec = m.codec
	}
	if m.web, err = web.New(m.Config.Web(m.Dev), m.DB, m.Logger); err != nil {
		_ = ln.Close()
		return fmt.Errorf("web app: %w", err)
	}
	apiCfg.Web = m.web
	m.api = api.New(apiCfg, m.DB, m.Temporal, m.Engine, m.Logger)
	m.web.UseAPI(m.api)
	m.server = &http.Server{Handler: m.api, ReadHeaderTimeout: 10 * time.Second}
	m.server.RegisterOnShutdown(m.web.Close) // open event streams end, so that Shutdown need not wait for them
	m.served = make(chan error, 1)
	go func() { m.served <- m.server.Serve(ln) }()
	return nil
}

// Addr is the address the API listens on (useful with port 0).
func (m *Main) Addr() string {
	if m.listener == nil {
		return ""
	}
	return m.listener.Addr().String()
}

// Close stops the API (letting requests finish), the worker and the connections.
func (m *Main) Close() error {
	var errs []error
	if m.metricsServer != nil {
		if err := m.metricsServer.Close(); err != nil {
			errs = append(errs, fmt.Errorf("stop metrics: %w", err))
		}
	}
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop http: %w", err))
		}
		if err := <-m.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
		m.web.Close()
	}
	if m.worker != nil {
		m.worker.Stop()
	}
	if m.outbox != nil {
		m.outbox.Stop()
	}
	if m.Temporal != nil {
		m.Temporal.Close()
	}
	if m.DB != nil {
		m.DB.Close()
	}
	return errors.Join(errs...)
}

// quieter returns a logger for the Temporal SDK, which logs every poll at info: only
// warnings and errors pass.
func quieter(l *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{l.Handler(), slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{f.Handler.WithAttrs(a), f.min}
}

func (f levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{f.Handler.WithGroup(n), f.min}
}

// serveMetrics serves GET /metrics on Config.MetricsAddr, for a process that runs the
// worker without the API (whose Temporal SDK metrics matter most).
func (m *Main) serveMetrics() error {
	ln, err := net.Listen("tcp", m.Config.MetricsAddr)
	if err != nil {
		return fmt.Errorf("listen for metrics on %s: %w", m.Config.MetricsAddr, err)
	}
	m.metricsAddr = ln.Addr().String()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", api.MetricsHandler(m.metrics))
	m.metricsServer = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = m.metricsServer.Serve(ln) }()
	return nil
}
