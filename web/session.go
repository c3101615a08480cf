package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/postgres"
)

// sessionCookie holds a session's random id; Postgres holds only its hash. It is never
// an API key: /v1 authenticates by the Authorization header alone, and a value that is
// not a session's id here signs nobody in.
const sessionCookie = "handoff_session"

// userKey is where a signed-in request keeps its user (postgres.User).
const userKey = "handoff.web.user"

// signInLinkTTL is how long a one-time sign-in link stays good.
const signInLinkTTL = time.Hour

// newToken returns a random value for a browser to hold and the hash to store.
func newToken() (value, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	value = base64.RawURLEncoding.EncodeToString(b)
	return value, hashToken(value)
}

func hashToken(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// errDeactivated refuses to sign in, or to act for, a deactivated user.
var errDeactivated = failure(http.StatusForbidden, "This person's Handoff account has been deactivated. Ask an admin to reactivate it.")

// user is the signed-in person of a request that went through signedIn.
func user(c echo.Context) postgres.User {
	u, _ := c.Get(userKey).(postgres.User)
	return u
}

// signedIn resolves the session cookie to its user, or sends the person to sign in.
func (s *Server) signedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(sessionCookie)
		if err != nil || ck.Value == "" {
			return errSignedOut
		}
		u, err := s.db.SessionUser(c.Request().Context(), hashToken(ck.Value))
		if errors.Is(err, postgres.ErrNotFound) {
			return errSignedOut
		}
		if err != nil {
			return err
		}
		c.Set(userKey, u)
		return next(c)
	}
}

// startSession signs the browser in as userID (ending the session it had) and sends it
// on to next.
func (s *Server) startSession(c echo.Context, userID, next string) error {
	ctx := c.Request().Context()
	if old, err := c.Cookie(sessionCookie); err == nil && old.Value != "" {
		if err := s.db.DeleteSession(ctx, hashToken(old.Value)); err != nil {
			return err
		}
	}
	id, hash := newToken()
	if err := s.db.CreateSession(ctx, hash, userID, time.Now().Add(s.cfg.SessionLifetime)); err != nil {
		return err
	}
	c.SetCookie(s.cookie(sessionCookie, id, int(s.cfg.SessionLifetime.Seconds())))
	return c.Redirect(http.StatusSeeOther, safeNext(next))
}

// cookie is HttpOnly, SameSite=Lax and, behind https, Secure.
func (s *Server) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode}
}

func (s *Server) signOut(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
		if err := s.db.DeleteSession(c.Request().Context(), hashToken(ck.Value)); err != nil {
			return err
		}
	}
	c.SetCookie(s.cookie(sessionCookie, "", -1))
	return c.Redirect(http.StatusSeeOther, "/signin?signed_out=1")
}

// signInView is the sign-in page's data.
type signInView struct {
	OIDC      bool
	Next      string
	SignedOut bool
	Users     []postgres.User // dev only: who "sign in as" offers
}

func (s *Server) signInPage(c echo.Context) error {
	v := signInView{OIDC: s.oidc != nil, Next: safeNext(c.QueryParam("next")), SignedOut: c.QueryParam("signed_out") != ""}
	if s.cfg.Dev {
		users, err := s.db.ListUsers(c.Request().Context(), "", 100)
		if err != nil {
			return err
		}
		v.Users = users
	}
	return s.render(c, http.StatusOK, "signin", "", view{Title: "Sign in", Page: v})
}

// devSignIn signs in as any directory user: only `handoff dev` mounts it.
func (s *Server) devSignIn(c echo.Context) error {
	u, err := s.db.User(c.Request().Context(), c.FormValue("user"))
	if errors.Is(err, postgres.ErrNotFound) {
		return failure(http.StatusUnprocessableEntity, "There is no such user in the directory.")
	}
	if err != nil {
		return err
	}
	if u.DeactivatedAt != nil {
		return errDeactivated
	}
	return s.startSession(c, u.ID, c.FormValue("next"))
}

// SignInLink returns a one-time link that signs userID in: good once, for an hour.
// `handoff dev` prints one for the dev admin.
func (s *Server) SignInLink(ctx context.Context, userID string) (string, error) {
	token, hash := newToken()
	if err := s.db.CreateSignInLink(ctx, hash, userID, time.Now().Add(signInLinkTTL)); err != nil {
		return "", fmt.Errorf("create sign-in link: %w", err)
	}
	return s.cfg.PublicURL + "/signin/link?token=" + url.QueryEscape(token), nil
}

// signInLinkPage shows who a link signs in, with a button: opening the link (a GET,
// which a link scanner may do) changes nothing; the button uses it up.
func (s *Server) signInLinkPage(c echo.Context) error {
	token := c.QueryParam("token")
	u, err := s.db.SignInLinkUser(c.Request().Context(), hashToken(token))
	if errors.Is(err, postgres.ErrNotFound) {
		return failure(http.StatusGone, "This sign-in link has been used or has expired. Sign in again.")
	}
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "signinlink", "", view{Title: "Sign in", Page: linkView{Token: token, Name: u.Name, ID: u.ID}})
}

type linkView struct{ Token, Name, ID string }

func (s *Server) useSignInLink(c echo.Context) error {
	id, err := s.db.TakeSignInLink(c.Request().Context(), hashToken(c.FormValue("token")))
	if errors.Is(err, postgres.ErrNotFound) {
		return failure(http.StatusGone, "This sign-in link has been used or has expired. Sign in again.")
	}
	if err != nil {
		return err
	}
	return s.startSession(c, id, "/")
}

// Session starts a session of userID as signing in does and returns the value of its
// cookie (named SessionCookie), for tools that drive the pages (the benchmarks).
func (s *Server) Session(ctx context.Context, userID string) (string, error) {
	id, hash := newToken()
	if err := s.db.CreateSession(ctx, hash, userID, time.Now().Add(s.cfg.SessionLifetime)); err != nil {
		return "", err
	}
	return id, nil
}

// SessionCookie is the name of the session cookie.
const SessionCookie = sessionCookie
