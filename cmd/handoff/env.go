package main

import (
	"fmt"
	"runtime/debug"
	"strings"
	"text/tabwriter"
)

// setting is one environment variable of the binary, as the help of `serve` and
// `worker` lists it (ConfigFromEnv reads them; TestSettingsListed keeps this list whole).
type setting struct {
	name, def, meaning string
	api, worker        bool // which processes read it (`dev` reads them all)
}

var settings = []setting{
	{"HANDOFF_DATABASE_URL", "none (dev: a local cluster)", "Postgres connection string", true, true},
	{"TEMPORAL_ADDRESS", "127.0.0.1:7233", "Temporal frontend host:port", true, true},
	{"TEMPORAL_NAMESPACE", "default", "namespace runs live in", true, true},
	{"HANDOFF_TASK_QUEUE", "handoff", "task queue of the worker and of new runs (all processes agree)", true, true},
	{"HANDOFF_LOG_LEVEL", "info", "debug, info, warn or error", true, true},
	{"HANDOFF_LOG_FORMAT", "json", "json or text", true, true},
	{"HANDOFF_PUBLIC_URL", "http://localhost:8080", "Handoff as people reach it (links in emails, the codec endpoint)", true, true},
	{"HANDOFF_SECRETS_KEY", "none", "base64 of 32 bytes sealing stored secrets; API and worker share it", true, true},
	{"HANDOFF_ENCRYPTION_KEYS", "none", "id:base64key,… payload encryption; API and worker share it", true, true},
	{"HANDOFF_METRICS", "on", "off removes GET /metrics and the Temporal SDK metrics", true, true},
	{"HANDOFF_HTTP_ALLOW", "none", "destinations outbound calls may reach despite the SSRF guard", true, true},
	{"HANDOFF_HTTP_ADDR", ":8080", "where the API listens", true, false},
	{"HANDOFF_CONTINUE_AS_NEW_AFTER", "0 (when Temporal suggests)", "history events after which runs continue as new", true, false},
	{"HANDOFF_CODEC_CORS_ORIGIN", defaultCodecCORSOrigin, "Temporal Web origins allowed to call /codec", true, false},
	{"HANDOFF_MAX_INFLIGHT", "256", "API requests in progress at once; more are shed with 503", true, false},
	{"HANDOFF_OIDC_ISSUER", "none: no single sign-on", "the OpenID Connect provider people sign in to the web app with", true, false},
	{"HANDOFF_OIDC_CLIENT_ID", "none", "Handoff's client id at the provider (required with an issuer)", true, false},
	{"HANDOFF_OIDC_CLIENT_SECRET", "none", "Handoff's client secret at the provider", true, false},
	{"HANDOFF_OIDC_REDIRECT_URL", "HANDOFF_PUBLIC_URL/signin/callback", "the callback registered with the provider", true, false},
	{"HANDOFF_OIDC_CLAIM", "email", "the verified claim naming the directory user (email: by email; else by id)", true, false},
	{"HANDOFF_SESSION_LIFETIME", "12h", "how long a web sign-in lasts", true, false},
	{"HANDOFF_TEMPORAL_WEB_URL", "http://localhost:8233", "Temporal Web as people reach it (the run page links there)", true, false},
	{"HANDOFF_METRICS_ADDR", ":9090", "where a worker-only process serves GET /metrics", false, true},
	{"HANDOFF_HTTP_MAX_BODY", "1048576", "largest integration response body, in bytes", false, true},
	{"HANDOFF_SMTP_ADDR", "none: no email", "SMTP server host:port for notification emails", false, true},
	{"HANDOFF_SMTP_FROM", "handoff@localhost", "sender of notification emails", false, true},
	{"HANDOFF_SMTP_USERNAME", "none", "SMTP PLAIN user (over TLS or to localhost)", false, true},
	{"HANDOFF_SMTP_PASSWORD", "none", "SMTP PLAIN password", false, true},
	{"HANDOFF_STICKY_CACHE_SIZE", "0 (the SDK's 10,000)", "runs a worker keeps in memory between steps", false, true},
	{"HANDOFF_SECRET_<NAME>", "none", "a secret's value, read before the stored ones", false, true},
	{"TEMPORAL_API_KEY, TEMPORAL_TLS*", "none",
		"Temporal's client settings (envconfig; also TEMPORAL_GRPC_META_*, _CONFIG_FILE, _PROFILE)", true, true},
	{"HANDOFF_DATA_DIR", ".data", "where `handoff dev` keeps its state", false, false},
}

// envHelp lists the settings a process running the API, the worker, or both reads.
func envHelp(api, worker bool) string {
	var b strings.Builder
	b.WriteString("Environment (see README.md, Configuration; each may be given as <NAME>_FILE, a file holding it):\n")
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, s := range settings {
		if (api && s.api) || (worker && s.worker) || (api && worker) {
			fmt.Fprintf(w, "  %s\t%s (default %s)\n", s.name, s.meaning, s.def)
		}
	}
	_ = w.Flush() // writes to a strings.Builder
	return b.String()
}

// buildVersion is set at link time by `make build` and the Dockerfile
// (-ldflags "-X main.buildVersion=…"): git describe's name of the commit.
var buildVersion string

// version names the build: the version it was linked with or its module version, and
// the commit it was built from when the build recorded one.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	if buildVersion != "" {
		v = buildVersion
	}
	var rev, at, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", modified"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += fmt.Sprintf(" (commit %s, %s%s)", rev, at, dirty)
	}
	return v + ", " + info.GoVersion
}
