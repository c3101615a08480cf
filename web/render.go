package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/postgres"
)

var (
	//go:embed templates/*.html
	templateFS embed.FS
	//go:embed assets
	assetFS embed.FS
)

// contentSecurityPolicy allows this origin's scripts, styles and requests only: no
// inline script or style, no eval, no framing, forms post only here.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// pages holds one template set per page (the layout, the partials and the page) and
// the assets with their content hashes.
type pages struct {
	sets   map[string]*template.Template
	assets map[string]asset // by name under assets/
}

type asset struct {
	body    []byte
	version string // a hash of the content, in the URL so that it can be cached for good
}

// fieldIn is what the form's partials get: the field, its form and whether it is a
// table's cell.
type fieldIn struct {
	Field fieldView
	Form  formView
	Cell  bool
}

// view is what every page template gets.
type view struct {
	Title string
	User  *postgres.User // nil on pages for people not signed in
	Dev   bool
	// Zone is the time zone times are shown in (the browser's, or UTC until it said).
	Zone *time.Location
	Now  time.Time
	Page any // the page's own data
}

func parsePages() (*pages, error) {
	p := &pages{sets: map[string]*template.Template{}, assets: map[string]asset{}}
	err := fs.WalkDir(assetFS, "assets", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assetFS.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		p.assets[strings.TrimPrefix(name, "assets/")] = asset{body: b, version: hex.EncodeToString(sum[:6])}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read web assets: %w", err)
	}
	funcs := template.FuncMap{
		"asset": func(name string) (string, error) {
			a, ok := p.assets[name]
			if !ok {
				return "", fmt.Errorf("no asset %q", name)
			}
			return "/assets/" + name + "?v=" + a.version, nil
		},
		"due":      dueWords,
		"when":     when,
		"datetime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"fieldIn":  func(f fieldView, form formView) fieldIn { return fieldIn{f, form, false} },
		"cellIn":   func(f fieldView, form formView) fieldIn { return fieldIn{f, form, true} },
		"has":      has,
		"inc":      func(i int) int { return i + 1 },
		"inputType": func(typ string) string {
			switch typ {
			case definitions.TypeEmail, definitions.TypeURL, definitions.TypeDate:
				return typ
			case definitions.TypeDatetime:
				return "datetime-local"
			}
			return "text"
		},
		"show":       show,
		"auditNotes": auditNotes,
		"words":      func(s string) string { return strings.NewReplacer(".", " ", "_", " ").Replace(s) },
		"stateClass": func(s string) string { return strings.ReplaceAll(s, " ", "-") },
		"stateMark": func(s string) string {
			switch s {
			case "done":
				return "✓"
			case "open", "waiting":
				return "●"
			case "failed":
				return "✕"
			case "skipped", "cancelled":
				return "–"
			}
			return "○"
		},
		"stepsWithData": stepsWithData,
		"seconds":       func(p *float64) string { return seconds(*p) },
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" || strings.HasPrefix(base, "form") {
			continue
		}
		// Every page has the layout and the shared partials (form*.html).
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/form*.html", n)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", n, err)
		}
		p.sets[strings.TrimSuffix(base, ".html")] = t
	}
	return p, nil
}

// render writes a page (the template "layout" of the page's set) or, with block, one
// block of it (an htmx partial).
func (s *Server) render(c echo.Context, status int, page, block string, v view) error {
	t, ok := s.pages.sets[page]
	if !ok {
		return fmt.Errorf("no page %q", page)
	}
	if block == "" {
		block = "layout"
	}
	v.Dev = s.cfg.Dev
	if v.Zone == nil {
		v.Zone = zone(c)
	}
	if v.Now.IsZero() {
		v.Now = time.Now()
	}
	if v.User == nil {
		if u, ok := c.Get(userKey).(postgres.User); ok {
			v.User = &u
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, v); err != nil {
		return fmt.Errorf("render %s/%s: %w", page, block, err)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// partial writes one template of a page's set with data as its dot: a fragment for
// htmx (a form's fields, a picker's choices).
func (s *Server) partial(c echo.Context, page, name string, data any) error {
	t, ok := s.pages.sets[page]
	if !ok {
		return fmt.Errorf("no page %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("render %s/%s: %w", page, name, err)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// headers sets the security headers of every answer of the web app.
func (s *Server) headers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		return next(c)
	}
}

// asset serves an embedded file; with the version its URL carries, for a year.
func (s *Server) asset(c echo.Context) error {
	name := c.Param("*")
	a, ok := s.pages.assets[name]
	if !ok || strings.HasSuffix(name, "LICENSE") || name == "VENDORED" {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	if c.QueryParam("v") == a.version {
		h.Set(echo.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		h.Set(echo.HeaderCacheControl, "no-cache")
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	return c.Blob(http.StatusOK, ctype, a.body)
}

// zone is the browser's time zone, which app.js keeps in the handoff_tz cookie; UTC
// until it has.
func zone(c echo.Context) *time.Location {
	if ck, err := c.Cookie(zoneCookie); err == nil && ck.Value != "" && len(ck.Value) < 64 {
		if loc, err := time.LoadLocation(ck.Value); err == nil {
			return loc
		}
	}
	return time.UTC
}

const zoneCookie = "handoff_tz"
