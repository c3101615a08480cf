package api

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/handoffhq/handoff/postgres"
)

// codecCookie carries a codec credential from browsers: Temporal Web cannot add an
// Authorization header, but sends cookies with "include credentials". The credential is
// an API key of its own, scoped to the codec endpoints and expiring with the session,
// never the key the operator signed in with.
const codecCookie = "handoff_codec_key"

// codecRoutes serves the Temporal codec server protocol under /codec: POST /encode and
// /decode (admins and auditors, who may see every run's data, by Bearer key or the codec
// cookie), the CORS preflight Temporal Web sends first, and /session, where an
// operator's browser trades an API key for the codec cookie.
func (s *Server) codecRoutes(e *echo.Echo) {
	g := e.Group("/codec", s.codecCORS)
	for _, op := range []string{"/encode", "/decode"} {
		g.OPTIONS(op, s.codecPreflight)
		g.POST(op, s.codec, s.codecKey, s.authenticateScope(postgres.ScopeCodec), require(roleAdmin, roleAuditor))
	}
	g.GET("/session", s.codecSessionForm)
	g.POST("/session", s.startCodecSession, s.codecFormKey, s.authenticate, require(roleAdmin, roleAuditor))
	g.DELETE("/session", s.endCodecSession) // revokes at once: every request reads its key from Postgres
}

// codecCORS lets the configured Temporal Web origins call the codec endpoints with
// credentials. Other origins get no CORS headers, so browsers refuse them.
func (s *Server) codecCORS(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Add(echo.HeaderVary, echo.HeaderOrigin)
		if origin := c.Request().Header.Get(echo.HeaderOrigin); origin != "" && slices.Contains(s.cfg.CodecCORSOrigins, origin) {
			h.Set(echo.HeaderAccessControlAllowOrigin, origin)
			h.Set(echo.HeaderAccessControlAllowCredentials, "true")
		}
		return next(c)
	}
}

// codecPreflight answers the browser's CORS preflight; it carries no credentials.
func (s *Server) codecPreflight(c echo.Context) error {
	if c.Response().Header().Get(echo.HeaderAccessControlAllowOrigin) == "" {
		return problem(http.StatusForbidden, "this origin may not call the codec endpoints (HANDOFF_CODEC_CORS_ORIGIN)")
	}
	h := c.Response().Header()
	h.Set(echo.HeaderAccessControlAllowMethods, "POST, OPTIONS")
	h.Set(echo.HeaderAccessControlAllowHeaders, "Authorization, Content-Type, X-Namespace")
	h.Set(echo.HeaderAccessControlMaxAge, "600")
	return c.NoContent(http.StatusNoContent)
}

// codecKey lets the codec cookie stand in for the Authorization header.
func (s *Server) codecKey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Header.Get(echo.HeaderAuthorization) == "" {
			if ck, err := r.Cookie(codecCookie); err == nil && ck.Value != "" {
				r.Header.Set(echo.HeaderAuthorization, "Bearer "+ck.Value)
			}
		}
		return next(c)
	}
}

// codec encodes or decodes payloads with the payload codec, through the SDK's codec
// HTTP handler. Bad bodies and payloads it cannot decode are problems naming "payloads".
func (s *Server) codec(c echo.Context) error {
	if err := s.codecOff(); err != nil {
		return err
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return jsonProblem(err)
	}
	if err := protojson.Unmarshal(body, &commonpb.Payloads{}); err != nil {
		return invalid("the body is not a codec request", FieldError{"payloads", "must be {\"payloads\": [...]} of Temporal payloads"})
	}
	req := c.Request().Clone(c.Request().Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	rec := &codecResponse{header: http.Header{}}
	s.codecHandler.ServeHTTP(rec, req)
	if rec.status >= 400 {
		op := strings.TrimPrefix(c.Path(), "/codec/")
		return invalid("the payloads could not be "+op+"d", FieldError{"payloads", strings.TrimSpace(rec.body.String())})
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, rec.body.Bytes())
}

// codecResponse captures what the SDK's codec handler answers.
type codecResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *codecResponse) Header() http.Header { return r.header }

func (r *codecResponse) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *codecResponse) WriteHeader(status int) { r.status = status }

// codecSessionTTL is how long the codec cookie lasts.
const codecSessionTTL = 12 * time.Hour

// codecSessionPage lets an operator hand their API key to the browser once, as an
// HttpOnly cookie the codec endpoints accept.
const codecSessionPage = `<!doctype html>
<meta charset="utf-8">
<title>Handoff: decode payloads in Temporal Web</title>
<h1>Decode payloads in Temporal Web</h1>
<p>Paste an API key of an admin or auditor. This browser gets an HttpOnly cookie with a
credential of its own that only decodes payloads, for 12 hours (your key is not kept).
In Temporal Web, turn on
<em>Include cross-origin credentials</em> in the codec server settings.</p>
<form method="post" action="session">
  <input name="key" type="password" autocomplete="off" size="48" placeholder="hk_…" required>
  <button>Start</button>
</form>
`

// codecOff is the 404 every codec endpoint answers while payload encryption is off
// (after authentication, for those that need a key).
func (s *Server) codecOff() error {
	if s.codecHandler == nil {
		return problem(http.StatusNotFound, "payload encryption is off (HANDOFF_ENCRYPTION_KEYS is not set)")
	}
	return nil
}

func (s *Server) codecSessionForm(c echo.Context) error {
	if err := s.codecOff(); err != nil {
		return err
	}
	return c.HTML(http.StatusOK, codecSessionPage)
}

// startCodecSession issues the caller (authenticated by a Bearer header or the form
// field "key") a new codec-scoped key expiring with the session, and sets it as the
// codec cookie.
func (s *Server) startCodecSession(c echo.Context) error {
	if err := s.codecOff(); err != nil {
		return err
	}
	expires := time.Now().Add(codecSessionTTL).UTC()
	key, hash := NewKey()
	if err := s.db.RevokeAPIKeyHash(c.Request().Context(), "", postgres.ScopeCodec); err != nil { // forget expired sessions
		return err
	}
	_, err := s.db.IssueAPIKey(c.Request().Context(), postgres.APIKey{UserID: caller(c).ID, Prefix: key[:7],
		Scope: postgres.ScopeCodec, ExpiresAt: &expires}, hash)
	if err != nil {
		return err
	}
	c.SetCookie(s.codecSessionCookie(c, key, int(codecSessionTTL.Seconds())))
	return c.JSON(http.StatusOK, map[string]string{"status": "started", "expires_at": expires.Format(time.RFC3339)})
}

// endCodecSession revokes the cookie's codec credential (and forgets expired ones) and
// removes the cookie. Holding the cookie is what it takes.
func (s *Server) endCodecSession(c echo.Context) error {
	if err := s.codecOff(); err != nil {
		return err
	}
	if ck, err := c.Request().Cookie(codecCookie); err == nil && ck.Value != "" {
		if err := s.db.RevokeAPIKeyHash(c.Request().Context(), HashKey(ck.Value), postgres.ScopeCodec); err != nil {
			return err
		}
	}
	c.SetCookie(s.codecSessionCookie(c, "", -1))
	return c.NoContent(http.StatusNoContent)
}

// codecSessionCookie is HttpOnly and scoped to /codec. Over HTTPS it is SameSite=None so
// that Temporal Web on another site can send it; over plain HTTP (a laptop) browsers
// only allow SameSite=Lax, which covers Temporal Web on the same host name.
func (s *Server) codecSessionCookie(c echo.Context, value string, maxAge int) *http.Cookie {
	secure := c.Scheme() == "https"
	ck := &http.Cookie{Name: codecCookie, Value: value, Path: "/codec", MaxAge: maxAge, HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode}
	if secure {
		ck.SameSite = http.SameSiteNoneMode
	}
	return ck
}

// codecFormKey lets the session form's "key" field stand in for the Authorization header.
func (s *Server) codecFormKey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Header.Get(echo.HeaderAuthorization) == "" {
			if key := strings.TrimSpace(c.FormValue("key")); key != "" {
				r.Header.Set(echo.HeaderAuthorization, "Bearer "+key)
			}
		}
		return next(c)
	}
}
