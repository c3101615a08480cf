package main

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/handoffhq/handoff/web"
)

// duration reads a Go duration setting; a malformed one reads as -1, which Validate refuses.
func duration(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		return -1
	}
	return d
}

// validateWeb checks the web app's sign-in settings.
func (c Config) validateWeb() error {
	if c.SessionLifetime != 0 && c.SessionLifetime < time.Minute { // 0: the default
		return fmt.Errorf(`HANDOFF_SESSION_LIFETIME must be a duration of at least a minute, e.g. "12h"`)
	}
	if c.OIDCIssuer == "" {
		return nil
	}
	if u, err := url.Parse(c.OIDCIssuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("HANDOFF_OIDC_ISSUER must be the provider's issuer URL (https://…), not %q", c.OIDCIssuer)
	}
	if c.OIDCClientID == "" {
		return fmt.Errorf("HANDOFF_OIDC_CLIENT_ID is required with HANDOFF_OIDC_ISSUER")
	}
	if c.OIDCRedirectURL != "" {
		if u, err := url.Parse(c.OIDCRedirectURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path == "" || u.Path == "/" {
			return fmt.Errorf("HANDOFF_OIDC_REDIRECT_URL must be an absolute URL with a path, e.g. %s/signin/callback", strings.TrimSuffix(c.PublicURL, "/"))
		}
	}
	return nil
}

// Web is the web app's configuration; dev turns on what only `handoff dev` offers.
func (c Config) Web(dev bool) web.Config {
	return web.Config{PublicURL: c.PublicURL, SessionLifetime: c.SessionLifetime, Dev: dev,
		TemporalWebURL: c.TemporalWebURL, Namespace: c.TemporalNamespace,
		OIDC: web.OIDCConfig{Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID, ClientSecret: c.OIDCClientSecret,
			RedirectURL: c.OIDCRedirectURL, Claim: c.OIDCClaim}}
}
