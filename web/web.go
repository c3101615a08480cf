// Package web is Handoff's browser app: server-rendered pages (html/template, embedded
// with the assets) on the API's port and router, signed in with OpenID Connect into
// server-side sessions. Pages call the same Go code as the API (the store's queries,
// and the API's operations) and never a copy of it; errors become HTML pages in one
// place (errors.go). docs/web.md describes it.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the browser's time zone, wherever the binary runs

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/postgres"
)

// Config configures the web app. Zero values take the documented defaults.
type Config struct {
	// PublicURL is where browsers reach Handoff, e.g. "https://handoff.example.com";
	// an https URL makes the cookies Secure. Default "http://localhost:8080".
	PublicURL string
	// OIDC is the identity provider people sign in with; an empty Issuer turns OIDC off.
	OIDC OIDCConfig
	// SessionLifetime is how long a session lasts from sign-in. Default 12 h.
	SessionLifetime time.Duration
	// Dev turns on what only `handoff dev` may offer: "sign in as" any directory user.
	Dev bool
	// TemporalWebURL is Temporal Web's address, for the run page's link to a run;
	// "" shows no link. Namespace is the runs' Temporal namespace (default "default").
	TemporalWebURL, Namespace string
	// MaxStreams bounds the live-update streams (server-sent events) open at once.
	// Default 4096.
	MaxStreams int
}

// OIDCConfig is an OpenID Connect relying party: authorization code flow with PKCE,
// state and nonce.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL (its discovery document is at
	// Issuer + "/.well-known/openid-configuration").
	Issuer string
	// ClientID and ClientSecret identify Handoff to the provider.
	ClientID, ClientSecret string
	// RedirectURL is the callback registered with the provider. Default
	// PublicURL + "/signin/callback"; its path is where the callback is served.
	RedirectURL string
	// Claim is the verified ID token claim that names the directory user: "email"
	// (default) matches users' email, ignoring case; any other claim matches user ids.
	Claim string
}

func (c *Config) applyDefaults() {
	if c.PublicURL == "" {
		c.PublicURL = "http://localhost:8080"
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	if c.SessionLifetime <= 0 {
		c.SessionLifetime = 12 * time.Hour
	}
	if c.Namespace == "" {
		c.Namespace = "default"
	}
	c.TemporalWebURL = strings.TrimSuffix(c.TemporalWebURL, "/")
	if c.MaxStreams <= 0 {
		c.MaxStreams = 4096
	}
	if c.OIDC.RedirectURL == "" {
		c.OIDC.RedirectURL = c.PublicURL + "/signin/callback"
	}
	if c.OIDC.Claim == "" {
		c.OIDC.Claim = "email"
	}
}

// Server is the web app. Mount puts its routes on the API's router; Close ends its
// streams and its listener.
type Server struct {
	cfg    Config
	db     *postgres.DB
	api    *api.Server // the operations the pages call; set by UseAPI before serving
	log    *slog.Logger
	pages  *pages
	oidc   *relyingParty // nil when OIDC is off
	inbox  *inboxHub
	secure bool // cookies are Secure: PublicURL is https
	cop    *http.CrossOriginProtection

	ctx    context.Context // ends at Close: streams return
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns the web app over the store. It starts listening for inbox changes; Close
// stops that.
func New(cfg Config, db *postgres.DB, log *slog.Logger) (*Server, error) {
	cfg.applyDefaults()
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, db: db, log: log, pages: p, secure: u.Scheme == "https", cop: http.NewCrossOriginProtection()}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if cfg.OIDC.Issuer != "" {
		if s.oidc, err = newRelyingParty(cfg.OIDC); err != nil {
			return nil, err
		}
	}
	s.cop.SetDenyHandler(http.HandlerFunc(s.crossOrigin))
	s.inbox = newInboxHub(db, log, cfg.MaxStreams)
	s.wg.Go(func() { s.inbox.run(s.ctx) })
	s.wg.Go(func() { s.sweepSessions(s.ctx) })
	return s, nil
}

// UseAPI gives the pages the API's operations, the same Go code that answers /v1:
// authorisation, form resolution and validation are the API's. Call it before serving
// (the API is built with this app mounted on its router, hence after New).
func (s *Server) UseAPI(a *api.Server) { s.api = a }

// Mount registers the pages on e, the API's router. Every page goes through the
// security headers, cross-origin protection and this transport's error mapping.
func (s *Server) Mount(e *echo.Echo) {
	g := e.Group("", s.renderErrors, s.headers, echo.WrapMiddleware(s.cop.Handler))
	g.GET("/assets/*", s.asset)
	g.GET("/signin", s.signInPage)
	g.GET("/signin/oidc", s.startOIDC)
	g.GET(callbackPath(s.cfg.OIDC.RedirectURL), s.oidcCallback)
	g.GET("/signin/link", s.signInLinkPage)
	g.POST("/signin/link", s.useSignInLink)
	if s.cfg.Dev {
		g.POST("/signin/dev", s.devSignIn)
	}
	g.POST("/signout", s.signOut)
	g.GET("/approve", s.approvePage) // an approval email's link: GET changes nothing
	g.POST("/approve", s.approve)

	in := g.Group("", s.signedIn)
	in.GET("/", s.inboxPage)
	in.GET("/inbox/events", s.inboxEvents)
	// Participants' pages (task.go, run.go, start.go).
	in.GET("/tasks/:id", s.taskPage)
	in.POST("/tasks/:id", s.completeTask)
	in.POST("/tasks/:id/form", s.resolveTaskForm)
	in.POST("/tasks/:id/claim", s.claimTask)
	in.POST("/tasks/:id/release", s.releaseTask)
	in.POST("/tasks/:id/reassign", s.handTask)
	in.POST("/tasks/:id/delegate", s.handTask)
	in.GET("/people", s.people)
	in.GET("/runs/:id", s.runPage)
	in.POST("/runs/:id/cancel", s.cancelRun)
	in.GET("/start", s.startList)
	in.GET("/definitions/:key/start", s.startPage)
	in.POST("/definitions/:key/start", s.startRun)
	in.POST("/definitions/:key/start/form", s.resolveStartForm)
	// Process owners, auditors and admins (issue 17).
	in.GET("/definitions", s.definitionsPage)
	in.GET("/definitions/new", s.editorPage)
	in.POST("/definitions/validate", s.validatePage)
	in.POST("/definitions/publish", s.publishPage)
	in.GET("/definitions/:key", s.definitionLatest)
	in.GET("/definitions/:key/edit", s.editorPage)
	in.GET("/definitions/:key/versions/:version", s.definitionPage)
	in.GET("/definitions/:key/hooks", s.hooksPage)
	in.POST("/definitions/:key/hooks/:trigger/secrets", s.addHookSecret)
	in.POST("/definitions/:key/hooks/:trigger/secrets/:secret/delete", s.deleteHookSecret)
	in.GET("/definitions/:key/schedules", s.schedulesPage)
	in.POST("/definitions/:key/schedules", s.addSchedule)
	in.POST("/definitions/:key/schedules/:id/:action", s.scheduleAction)
	in.GET("/reports/:key", s.reportPage)
	in.GET("/reports/:key/csv", s.reportCSV)
	in.GET("/runs/:id/evidence", s.evidencePage)
	in.GET("/runs/:id/evidence.json", s.evidenceDownload)
	in.GET("/admin/subscriptions", s.subscriptionsPage)
	in.POST("/admin/subscriptions", s.addSubscription)
	in.POST("/admin/subscriptions/:id/delete", s.deleteSubscription)
	in.GET("/admin/users", s.usersPage)
	in.POST("/admin/users", s.addUser)
	in.GET("/admin/users/:id", s.userPage)
	in.POST("/admin/users/:id", s.editUser)
	in.POST("/admin/users/:id/deactivate", s.setActive)
	in.POST("/admin/users/:id/reactivate", s.setActive)
	in.POST("/admin/users/:id/keys", s.createKey)
	in.POST("/admin/users/:id/keys/:key/revoke", s.revokeKey)
	e.RouteNotFound("/*", s.notFound)
}

// Close ends the live-update streams and stops listening. Call it when the HTTP server
// starts shutting down (http.Server.RegisterOnShutdown), so that open streams do not
// hold the shutdown up.
func (s *Server) Close() {
	s.cancel()
	s.wg.Wait()
}

// callbackPath is the path of the OIDC redirect URL, where the callback is served.
func callbackPath(redirect string) string {
	u, err := url.Parse(redirect)
	if err != nil || u.Path == "" {
		return "/signin/callback"
	}
	return u.Path
}

// sweepSessions deletes expired sessions, sign-ins and links every hour.
func (s *Server) sweepSessions(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.db.DeleteExpiredSessions(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("delete expired sessions", "error", err)
			}
			if _, err := s.db.DeleteExpiredApprovalLinks(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("delete expired approval links", "error", err)
			}
		}
	}
}
