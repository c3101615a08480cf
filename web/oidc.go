package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/handoffhq/handoff/postgres"
)

// signInTTL bounds the time from the redirect to the identity provider to its callback.
const signInTTL = 10 * time.Minute

// stateCookie binds a sign-in in progress to the browser that started it, so that a
// callback URL someone else was given cannot sign this browser in (login CSRF).
const stateCookie = "handoff_signin"

// relyingParty is Handoff as an OpenID Connect client. The provider's discovery
// document is read on the first sign-in (and again until it could be), so that an
// identity provider that is down does not keep Handoff from starting.
type relyingParty struct {
	cfg    OIDCConfig
	client *http.Client

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newRelyingParty(cfg OIDCConfig) (*relyingParty, error) {
	if cfg.ClientID == "" {
		return nil, errors.New("OIDC: a client id is required with an issuer")
	}
	return &relyingParty{cfg: cfg, client: &http.Client{Timeout: 10 * time.Second}}, nil
}

// ctx carries the HTTP client that go-oidc and oauth2 use to reach the provider.
func (rp *relyingParty) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, rp.client)
}

func (rp *relyingParty) discover(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.oauth != nil {
		return rp.oauth, rp.verifier, nil
	}
	p, err := oidc.NewProvider(rp.ctx(ctx), rp.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("discover the OIDC provider %s: %w", rp.cfg.Issuer, err)
	}
	rp.oauth = &oauth2.Config{ClientID: rp.cfg.ClientID, ClientSecret: rp.cfg.ClientSecret,
		RedirectURL: rp.cfg.RedirectURL, Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
	rp.verifier = p.Verifier(&oidc.Config{ClientID: rp.cfg.ClientID})
	return rp.oauth, rp.verifier, nil
}

// startOIDC sends the browser to the identity provider with a new state, nonce and
// PKCE challenge, kept server-side until the callback.
func (s *Server) startOIDC(c echo.Context) error {
	if s.oidc == nil {
		return failure(http.StatusNotFound, "Single sign-on is not configured here.")
	}
	ctx := c.Request().Context()
	conf, _, err := s.oidc.discover(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "oidc discovery", "error", err)
		return failure(http.StatusBadGateway, "The identity provider cannot be reached right now. Try again in a moment.")
	}
	state, stateHash := newToken()
	nonce, _ := newToken()
	verifier := oauth2.GenerateVerifier()
	si := postgres.SignIn{Nonce: nonce, Verifier: verifier, Next: safeNext(c.QueryParam("next"))}
	if err := s.db.CreateSignIn(ctx, stateHash, si, time.Now().Add(signInTTL)); err != nil {
		return err
	}
	ck := s.cookie(stateCookie, state, int(signInTTL.Seconds()))
	ck.Path = callbackPath(s.cfg.OIDC.RedirectURL)
	c.SetCookie(ck)
	return c.Redirect(http.StatusFound, conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)))
}

// oidcCallback checks the state against this browser's, takes the sign-in in progress
// (once), exchanges the code with the PKCE verifier, verifies the ID token and its
// nonce, and maps the configured claim to a directory user.
func (s *Server) oidcCallback(c echo.Context) error {
	if s.oidc == nil {
		return failure(http.StatusNotFound, "Single sign-on is not configured here.")
	}
	ctx := c.Request().Context()
	if e := c.QueryParam("error"); e != "" {
		return failure(http.StatusUnauthorized, "The identity provider did not sign you in: "+e+" "+c.QueryParam("error_description"))
	}
	state := c.QueryParam("state")
	ck, err := c.Cookie(stateCookie)
	if err != nil || state == "" || ck.Value != state {
		return failure(http.StatusBadRequest, "This sign-in was not started in this browser, or it took too long. Sign in again.")
	}
	clear := s.cookie(stateCookie, "", -1)
	clear.Path = callbackPath(s.cfg.OIDC.RedirectURL)
	c.SetCookie(clear)
	si, err := s.db.TakeSignIn(ctx, hashToken(state))
	if errors.Is(err, postgres.ErrNotFound) {
		return failure(http.StatusBadRequest, "This sign-in was used already or took too long. Sign in again.")
	}
	if err != nil {
		return err
	}
	conf, verifier, err := s.oidc.discover(ctx)
	if err != nil {
		return failure(http.StatusBadGateway, "The identity provider cannot be reached right now. Try again in a moment.")
	}
	tok, err := conf.Exchange(s.oidc.ctx(ctx), c.QueryParam("code"), oauth2.VerifierOption(si.Verifier))
	if err != nil {
		s.log.WarnContext(ctx, "oidc code exchange", "error", err)
		return failure(http.StatusUnauthorized, "The identity provider refused the sign-in. Sign in again.")
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verifier.Verify(s.oidc.ctx(ctx), raw)
	if err != nil {
		s.log.WarnContext(ctx, "oidc id token", "error", err)
		return failure(http.StatusUnauthorized, "The identity provider's answer could not be verified. Sign in again.")
	}
	if idt.Nonce != si.Nonce {
		return failure(http.StatusUnauthorized, "The identity provider's answer was not for this sign-in. Sign in again.")
	}
	u, err := s.directoryUser(ctx, idt)
	if err != nil {
		return err
	}
	return s.startSession(c, u.ID, si.Next)
}

// directoryUser maps the verified ID token's configured claim to a directory user.
func (s *Server) directoryUser(ctx context.Context, idt *oidc.IDToken) (postgres.User, error) {
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return postgres.User{}, fmt.Errorf("read id token claims: %w", err)
	}
	claim := s.cfg.OIDC.Claim
	value, _ := claims[claim].(string)
	if value == "" {
		return postgres.User{}, failure(http.StatusForbidden, "The identity provider did not say who you are (no "+claim+" claim).")
	}
	var (
		u   postgres.User
		err error
	)
	if claim == "email" {
		// Only a provider that vouches for the address may name a person by it.
		if claims["email_verified"] != true {
			return postgres.User{}, failure(http.StatusForbidden, "Your identity provider has not verified the email "+value+".")
		}
		u, err = s.db.UserByEmail(ctx, value)
	} else {
		u, err = s.db.User(ctx, value)
	}
	switch {
	case errors.Is(err, postgres.ErrNotFound):
		return u, failure(http.StatusForbidden, "You signed in as "+value+", but nobody in Handoff's directory goes by that "+claim+". Ask an admin to add you.")
	case errors.Is(err, postgres.ErrConflict):
		return u, failure(http.StatusForbidden, "Several Handoff users have the email "+value+"; ask an admin to make it unique.")
	case err == nil && u.DeactivatedAt != nil:
		return u, errDeactivated
	}
	return u, err
}
