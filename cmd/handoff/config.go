package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
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
	// DataDir holds `handoff dev`'s local state: Temporal's SQLite file, the Postgres
	// cluster and the dev admin key (HANDOFF_DATA_DIR, default ".data").
	DataDir string
	// LogLevel is debug, info, warn or error (HANDOFF_LOG_LEVEL, default "info").
	LogLevel string
	// LogFormat is json or text (HANDOFF_LOG_FORMAT, default "json"; `handoff dev` uses text).
	LogFormat string
}

// ConfigFromEnv reads the configuration from the environment, applying the defaults.
func ConfigFromEnv(getenv func(string) string) Config {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	return Config{
		DatabaseURL:       get("HANDOFF_DATABASE_URL", ""),
		HTTPAddr:          get("HANDOFF_HTTP_ADDR", ":8080"),
		PublicURL:         get("HANDOFF_PUBLIC_URL", "http://localhost:8080"),
		TemporalAddress:   get("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
		TemporalNamespace: get("TEMPORAL_NAMESPACE", "default"),
		DataDir:           get("HANDOFF_DATA_DIR", ".data"),
		LogLevel:          get("HANDOFF_LOG_LEVEL", "info"),
		LogFormat:         get("HANDOFF_LOG_FORMAT", "json"),
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return fmt.Errorf("HANDOFF_LOG_FORMAT must be json or text, not %q", c.LogFormat)
	}
	return nil
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
