package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/postgres"
)

// Roles of the directory, from least to most privileged. An auditor may do what a
// member may, and sees every run (run_visible, migration 009).
const (
	roleMember   = "member"
	roleAuditor  = "auditor"
	roleDesigner = "designer"
	roleAdmin    = "admin"
)

var roleRank = map[string]int{roleMember: 1, roleAuditor: 1, roleDesigner: 2, roleAdmin: 3}

const callerKey = "handoff.caller"

// caller returns the authenticated user of an HTTP request.
func caller(c echo.Context) postgres.User {
	u, _ := c.Get(callerKey).(postgres.User)
	return u
}

// authenticate resolves the bearer API key (a full-scope one) to a user, or answers 401.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return s.authenticateScope(postgres.ScopeAPI)(next)
}

// authenticateScope resolves the bearer API key to a user, accepting full-scope keys and
// keys of scope; anything else, an expired or a revoked key included, is a 401.
func (s *Server) authenticateScope(scope string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Request().Header.Get("Authorization")
			scheme, key, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(key) == "" {
				return problem(http.StatusUnauthorized, "an API key is required: Authorization: Bearer <key>")
			}
			cred, err := s.db.Credential(c.Request().Context(), HashKey(strings.TrimSpace(key)))
			if errors.Is(err, postgres.ErrNotFound) {
				return problem(http.StatusUnauthorized, "the API key is not valid (unknown, revoked or expired)")
			}
			if err != nil {
				return err
			}
			if cred.Key.Scope != postgres.ScopeAPI && cred.Key.Scope != scope {
				return problem(http.StatusUnauthorized, "this API key is for the "+cred.Key.Scope+" endpoints only")
			}
			c.Set(callerKey, cred.User)
			return next(c)
		}
	}
}

// need answers 403 unless the caller has at least the given role, or is one of the
// other roles named.
func need(me postgres.User, role string, or ...string) error {
	if hasRole(me, role) || slices.Contains(or, me.Role) {
		return nil
	}
	msg := "the " + role + " role"
	for _, o := range or {
		msg += " or the " + o + " role"
	}
	return problem(http.StatusForbidden, "this needs "+msg)
}

// require is need for a route that is not an operation (the codec endpoints).
func require(role string, or ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := need(caller(c), role, or...); err != nil {
				return err
			}
			return next(c)
		}
	}
}

func hasRole(u postgres.User, role string) bool { return roleRank[u.Role] >= roleRank[role] }

// mayWorkOn reports whether u may act on a task: an assignee, a member of a candidate
// group while nobody has claimed it, the claimant, or an admin.
func mayWorkOn(u postgres.User, t postgres.Task) bool {
	if u.Role == roleAdmin {
		return true
	}
	if t.ClaimedBy != "" {
		return t.ClaimedBy == u.ID
	}
	if slices.Contains(t.Assignees, u.ID) {
		return true
	}
	for _, g := range t.CandidateGroups {
		if slices.Contains(u.Groups, g) {
			return true
		}
	}
	return false
}

// NewKey returns a new random API key ("hk_" and 32 base32 characters) and the hash to store.
func NewKey() (key, hash string) {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	key = "hk_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	return key, HashKey(key)
}

// HashKey is how API keys are stored: SHA-256, hex. Keys carry 160 random bits, so a
// fast hash is safe and keeps authentication to one indexed lookup.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// MayWorkOn reports whether u may complete, claim, reassign or delegate t by the rule
// the operations apply (for pages deciding which actions to offer).
func MayWorkOn(u postgres.User, t Task) bool {
	return mayWorkOn(u, postgres.Task{ClaimedBy: t.ClaimedBy, Assignees: t.Assignees, CandidateGroups: t.CandidateGroups})
}
