package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/handoffhq/handoff/workflows"
)

// Config is every setting of the handoff binary, read once from the environment in main
// and handed down. Each field names its variable and default.
type Config struct {
	// DatabaseURL is the Postgres connection string (HANDOFF_DATABASE_URL). Required by
	// serve, worker and migrate; `handoff dev` starts a local cluster in DataDir when empty.
	DatabaseURL string
	// HTTPAddr is where the API listens (HANDOFF_HTTP_ADDR, default ":8080").
	HTTPAddr string
	// PublicURL is the API's address as users reach it, used in links (HANDOFF_PUBLIC_URL,
	// default "http://localhost:8080").
	PublicURL string
	// TemporalAddress is the Temporal frontend host:port (TEMPORAL_ADDRESS, default "127.0.0.1:7233").
	TemporalAddress string
	// TemporalNamespace is the namespace runs live in (TEMPORAL_NAMESPACE, default "default").
	TemporalNamespace string
	// TaskQueue is the Temporal task queue of the worker and of new runs
	// (HANDOFF_TASK_QUEUE, default "handoff"). Every worker and API of one deployment
	// must agree; tests give each stack its own.
	TaskQueue string
	// DataDir holds `handoff dev`'s local state: Temporal's SQLite file, the Postgres
	// cluster and the dev admin key (HANDOFF_DATA_DIR, default ".data").
	DataDir string
	// LogLevel is debug, info, warn or error (HANDOFF_LOG_LEVEL, default "info").
	LogLevel string
	// LogFormat is json or text (HANDOFF_LOG_FORMAT, default "json"; `handoff dev` uses text).
	LogFormat string
	// ContinueAsNewAfter makes runs continue as new once their history has this many
	// events (HANDOFF_CONTINUE_AS_NEW_AFTER, default 0: when Temporal suggests it, near
	// 4,096 events). Lower it only to test long runs.
	ContinueAsNewAfter int
	// HTTPAllow lists destinations http steps, notifications and subscriptions may reach
	// despite the SSRF guard, each entry exactly what it names (safehttp.ParseAllow): IP or
	// CIDR on ports 80 and 443, IP:port or CIDR:port on that port only, :port on public
	// addresses (HANDOFF_HTTP_ALLOW, default none). See docs/integrations.md.
	HTTPAllow string
	// HTTPMaxBody caps an integration's response body in bytes (HANDOFF_HTTP_MAX_BODY, default
	// 1048576).
	HTTPMaxBody int64
	// SecretsKey is the base64 AES-256 key sealing secrets stored in Postgres
	// (HANDOFF_SECRETS_KEY, default none: only HANDOFF_SECRET_<NAME> variables; `handoff dev`
	// generates one into DataDir/secrets-key).
	SecretsKey string
	// Metrics is "on" or "off": GET /metrics (Prometheus: HTTP and Temporal SDK metrics)
	// (HANDOFF_METRICS, default "on"; "" means on).
	Metrics string
	// MetricsAddr is where a process that runs the worker without the API serves
	// GET /metrics (HANDOFF_METRICS_ADDR, default ":9090"); the API serves its own.
	MetricsAddr string
	// SMTPAddr is the SMTP server notification emails go through, host:port
	// (HANDOFF_SMTP_ADDR, default none: email is disabled). See docs/notifications.md.
	SMTPAddr string
	// SMTPFrom is the sender of notification emails (HANDOFF_SMTP_FROM, default "handoff@localhost").
	SMTPFrom string
	// SMTPUsername and SMTPPassword authenticate to the SMTP server with PLAIN, over TLS
	// or to localhost only (HANDOFF_SMTP_USERNAME, HANDOFF_SMTP_PASSWORD, default none).
	SMTPUsername, SMTPPassword string
	// EncryptionKeys turns on payload encryption: "id1:base64key,id2:base64key", AES keys
	// of 16, 24 or 32 bytes; the first encrypts, all decrypt (HANDOFF_ENCRYPTION_KEYS,
	// default none: payloads are stored in the clear). See docs/encryption.md.
	EncryptionKeys string
	// CodecCORSOrigin lists the Temporal Web origins allowed to call /codec, comma-separated
	// (HANDOFF_CODEC_CORS_ORIGIN, default "http://localhost:8233,http://127.0.0.1:8233").
	CodecCORSOrigin string
	// MaxInFlight is how many API requests may be in progress at once; more are answered
	// 503 with Retry-After (HANDOFF_MAX_INFLIGHT, default 256; 0 means the default).
	MaxInFlight int
	// StickyCacheSize is how many runs a worker keeps in memory between their workflow
	// tasks (HANDOFF_STICKY_CACHE_SIZE, default 0: the Temporal SDK's 10,000). A smaller
	// cache costs replays, never correctness.
	StickyCacheSize int
	// OIDCIssuer is the OpenID Connect provider people sign in to the web app with, its
	// issuer URL (HANDOFF_OIDC_ISSUER, default none: no single sign-on). See docs/web.md.
	OIDCIssuer string
	// OIDCClientID and OIDCClientSecret identify Handoff to the provider
	// (HANDOFF_OIDC_CLIENT_ID, HANDOFF_OIDC_CLIENT_SECRET; the id is required with an issuer).
	OIDCClientID, OIDCClientSecret string
	// OIDCRedirectURL is the callback registered with the provider
	// (HANDOFF_OIDC_REDIRECT_URL, default PublicURL + "/signin/callback").
	OIDCRedirectURL string
	// OIDCClaim is the verified ID token claim naming the directory user: "email" matches
	// users' email, any other claim their id (HANDOFF_OIDC_CLAIM, default "email").
	OIDCClaim string
	// SessionLifetime is how long a web sign-in lasts (HANDOFF_SESSION_LIFETIME, a Go
	// duration, default "12h", at least "1m").
	SessionLifetime time.Duration
	// TemporalWebURL is where people reach Temporal Web, for the run page's link to a
	// run (HANDOFF_TEMPORAL_WEB_URL, default http://localhost:8233, the dev server's).
	TemporalWebURL string
	// TemporalEnv is where Temporal's own client settings are read (envconfig:
	// TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_GRPC_META_*, TEMPORAL_CONFIG_FILE,
	// TEMPORAL_PROFILE); nil means the process environment. See docs/operations.md.
	TemporalEnv envconfig.EnvLookup

	// fileErr is why a <NAME>_FILE setting could not be read (Validate reports it).
	fileErr error
}

// ConfigFromEnv reads the configuration from the environment, applying the defaults.
// Each variable may instead be given as <NAME>_FILE, the path of a file that holds the
// value (Docker and Kubernetes secrets), so that no secret sits in the environment;
// surrounding white space is dropped.
func ConfigFromEnv(getenv func(string) string) Config {
	var fileErr error
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		if path := strings.TrimSpace(getenv(name + "_FILE")); path != "" {
			b, err := os.ReadFile(path)
			if err == nil {
				return strings.TrimSpace(string(b))
			}
			fileErr = errors.Join(fileErr, fmt.Errorf("%s_FILE: %w", name, err))
		}
		return def
	}
	c := Config{
		DatabaseURL:        get("HANDOFF_DATABASE_URL", ""),
		HTTPAddr:           get("HANDOFF_HTTP_ADDR", ":8080"),
		PublicURL:          get("HANDOFF_PUBLIC_URL", "http://localhost:8080"),
		TemporalAddress:    get("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
		TemporalNamespace:  get("TEMPORAL_NAMESPACE", "default"),
		TaskQueue:          get("HANDOFF_TASK_QUEUE", workflows.TaskQueue),
		DataDir:            get("HANDOFF_DATA_DIR", ".data"),
		LogLevel:           get("HANDOFF_LOG_LEVEL", "info"),
		LogFormat:          get("HANDOFF_LOG_FORMAT", "json"),
		ContinueAsNewAfter: atoi(get("HANDOFF_CONTINUE_AS_NEW_AFTER", "0")),
		HTTPAllow:          get("HANDOFF_HTTP_ALLOW", ""),
		HTTPMaxBody:        byteCount(get("HANDOFF_HTTP_MAX_BODY", "1048576")),
		SecretsKey:         get("HANDOFF_SECRETS_KEY", ""),
		Metrics:            get("HANDOFF_METRICS", "on"),
		MetricsAddr:        get("HANDOFF_METRICS_ADDR", ":9090"),
		SMTPAddr:           get("HANDOFF_SMTP_ADDR", ""),
		SMTPFrom:           get("HANDOFF_SMTP_FROM", "handoff@localhost"),
		SMTPUsername:       get("HANDOFF_SMTP_USERNAME", ""),
		SMTPPassword:       get("HANDOFF_SMTP_PASSWORD", ""),
		EncryptionKeys:     get("HANDOFF_ENCRYPTION_KEYS", ""),
		CodecCORSOrigin:    get("HANDOFF_CODEC_CORS_ORIGIN", defaultCodecCORSOrigin),
		MaxInFlight:        atoi(get("HANDOFF_MAX_INFLIGHT", "256")),
		StickyCacheSize:    atoi(get("HANDOFF_STICKY_CACHE_SIZE", "0")),
		OIDCIssuer:         get("HANDOFF_OIDC_ISSUER", ""),
		OIDCClientID:       get("HANDOFF_OIDC_CLIENT_ID", ""),
		OIDCClientSecret:   get("HANDOFF_OIDC_CLIENT_SECRET", ""),
		OIDCRedirectURL:    get("HANDOFF_OIDC_REDIRECT_URL", ""),
		OIDCClaim:          get("HANDOFF_OIDC_CLAIM", "email"),
		SessionLifetime:    duration(get("HANDOFF_SESSION_LIFETIME", "12h")),
		TemporalWebURL:     get("HANDOFF_TEMPORAL_WEB_URL", "http://localhost:8233"),
	}
	c.fileErr = fileErr
	return c
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	if c.fileErr != nil {
		return c.fileErr
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.ContinueAsNewAfter < 0 {
		return fmt.Errorf("HANDOFF_CONTINUE_AS_NEW_AFTER must be a whole number of events")
	}
	if c.MaxInFlight < 0 {
		return fmt.Errorf("HANDOFF_MAX_INFLIGHT must be a whole number of requests")
	}
	if c.StickyCacheSize < 0 {
		return fmt.Errorf("HANDOFF_STICKY_CACHE_SIZE must be a whole number of runs")
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return fmt.Errorf("HANDOFF_LOG_FORMAT must be json or text, not %q", c.LogFormat)
	}
	if err := c.validateMetrics(); err != nil {
		return err
	}
	if err := c.validateSMTP(); err != nil {
		return err
	}
	if _, err := c.Codec(); err != nil {
		return err
	}
	if err := c.validateWeb(); err != nil {
		return err
	}
	return c.validateOutbound()
}

// Logger builds the process logger the configuration asks for.
func (c Config) Logger() *slog.Logger {
	level, _ := parseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("HANDOFF_LOG_LEVEL must be debug, info, warn or error, not %q", s)
	}
	return l, nil
}

// atoi reads a whole number setting; a malformed one reads as -1, which Validate refuses.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}
