package web

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/definitions/examples"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// The process owner's pages: the definitions, a page per version with its diagram and
// form previews, and the editor that validates as the owner types and publishes. They
// call the API's operations (ListDefinitions, GetDefinition, ValidateDefinition,
// PublishDefinition), which authorise and validate; nothing here is a second copy.

// definitionsView is the definitions list.
type definitionsView struct {
	Definitions []definitionRow
	Examples    []string
	MayEdit     bool
}

type definitionRow struct {
	api.Definition
	Active     int
	ActiveMore bool // more running than one page counts
}

// activeRunsPage bounds how many running runs the list counts per definition.
const activeRunsPage = 200

func (s *Server) definitionsPage(c echo.Context) error {
	me, ctx := user(c), c.Request().Context()
	defs, err := s.api.ListDefinitions(ctx, me)
	if err != nil {
		return err
	}
	v := definitionsView{MayEdit: mayDesign(me), Examples: exampleNames()}
	for _, d := range defs {
		runs, err := s.api.ListRuns(ctx, me, api.RunQuery{Definition: d.Key, Status: workflows.StatusRunning, Limit: activeRunsPage})
		if err != nil {
			return err
		}
		v.Definitions = append(v.Definitions, definitionRow{Definition: d, Active: len(runs.Runs), ActiveMore: runs.NextPageToken != ""})
	}
	return s.render(c, http.StatusOK, "definitions", "", view{Title: "Definitions", Page: v})
}

// mayDesign is whether to offer editing and publishing (the API's operations decide
// whether the person may: designers and admins).
func mayDesign(u postgres.User) bool { return u.Role == "designer" || u.Role == "admin" }

func exampleNames() []string {
	names, _ := fs.Glob(examples.FS, "*.yaml")
	for i, n := range names {
		names[i] = strings.TrimSuffix(n, ".yaml")
	}
	return names
}

// definitionView is a definition version's page.
type definitionView struct {
	Def      api.Definition
	Latest   int
	Versions []int
	Diagram  template.HTML
	Forms    []formPreview
	MayEdit  bool
	Triggers bool // the version has webhook triggers
}

// formPreview is one form of a definition, the start form or a step's, as the
// participant sees it (the one form rendering, form.go), disabled.
type formPreview struct {
	Title string
	Step  string
	Form  formView
}

// preview renders fields with their defaults, a table with one row, under a prefix of
// its own so that several forms share a page.
func preview(fields []definitions.Field, n int, loc *time.Location) formView {
	ff := api.FormFields(fields)
	prefix := fmt.Sprintf("p%d.", n)
	vals := url.Values{}
	putValues(vals, ff, nil, true, prefix, loc)
	for _, f := range ff {
		if f.Type == definitions.TypeTable {
			vals.Set(prefix+f.ID+".n", "1")
		}
	}
	return formView{Disabled: true, Fields: fieldViews(ff, vals, nil, nil, prefix, "")}
}

func (s *Server) definitionLatest(c echo.Context) error {
	d, err := s.api.GetDefinition(c.Request().Context(), user(c), c.Param("key"), 0)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, versionURL(d.Key, d.Version))
}

func versionURL(key string, version int) string {
	return fmt.Sprintf("/definitions/%s/versions/%d", key, version)
}

func (s *Server) definitionPage(c echo.Context) error {
	me, ctx := user(c), c.Request().Context()
	n, err := strconv.Atoi(c.Param("version"))
	if err != nil || n < 1 {
		return failure(http.StatusNotFound, "Versions are numbered from 1.")
	}
	d, err := s.api.GetDefinition(ctx, me, c.Param("key"), n)
	if err != nil {
		return err
	}
	latest, err := s.api.GetDefinition(ctx, me, d.Key, 0)
	if err != nil {
		return err
	}
	prog, err := compiled(d)
	if err != nil {
		return err
	}
	v := definitionView{Def: d, Latest: latest.Version, MayEdit: mayDesign(me),
		Diagram: flowDiagram(prog, nil, "flow"), Forms: formPreviews(prog, zone(c)), Triggers: len(prog.Triggers) > 0}
	for i := latest.Version; i >= 1; i-- {
		v.Versions = append(v.Versions, i)
	}
	name := d.Name
	if name == "" {
		name = d.Key
	}
	return s.render(c, http.StatusOK, "definition", "", view{Title: fmt.Sprintf("%s v%d", name, d.Version), Page: v})
}

// compiled is the program of a published version: its source compiled again (Compile
// is pure, and the hash says it is the program that was published).
func compiled(d api.Definition) (*definitions.Program, error) {
	p, err := definitions.Compile([]byte(d.Source))
	if err != nil {
		return nil, fmt.Errorf("compile %s v%d: %w", d.Key, d.Version, err)
	}
	if p.Hash != d.Hash {
		return nil, fmt.Errorf("compile %s v%d: hash %s, published %s", d.Key, d.Version, p.Hash, d.Hash)
	}
	return p, nil
}

// formPreviews lists the start form and every step's form, in flow order.
func formPreviews(p *definitions.Program, loc *time.Location) []formPreview {
	var out []formPreview
	if len(p.Inputs) > 0 {
		out = append(out, formPreview{Title: "Start form", Form: preview(p.Inputs, 0, loc)})
	}
	var walk func([]definitions.Step)
	walk = func(steps []definitions.Step) {
		for _, s := range steps {
			if len(s.Form) > 0 && s.Kind != definitions.KindWait {
				title := s.Title
				if title == "" {
					title = s.ID
				}
				out = append(out, formPreview{Title: title, Step: s.ID, Form: preview(s.Form, len(out)+1, loc)})
			}
			for _, b := range s.Branches {
				walk(b.Steps)
			}
		}
	}
	walk(p.Steps)
	return out
}

// ---- the editor

// editorView is the editor's page; checksView its live part (errors, diagram, diff).
type editorView struct {
	Source  string
	Key     string // the definition being edited; "" for a new one
	Example string
	Checks  checksView
}

type checksView struct {
	Checked bool
	Valid   bool
	Errors  []api.DefinitionError
	Diagram template.HTML // the last valid text's; empty while invalid
	Forms   []formPreview // the last valid text's form previews
	Diff    []diffLine
	Base    int // the published version the diff is against; 0: none
	Key     string
}

func (s *Server) editorPage(c echo.Context) error {
	me, ctx := user(c), c.Request().Context()
	v := editorView{Key: c.Param("key")}
	switch {
	case v.Key != "":
		d, err := s.api.GetDefinition(ctx, me, v.Key, 0)
		if err != nil {
			return err
		}
		v.Source = d.Source
	case c.QueryParam("example") != "":
		v.Example = c.QueryParam("example")
		src, err := examples.FS.ReadFile(v.Example + ".yaml")
		if err != nil || strings.ContainsAny(v.Example, "/\\") {
			return failure(http.StatusNotFound, "There is no such example.")
		}
		v.Source = string(src)
	default:
		v.Source = "key: my-process\nname: My process\nsteps:\n  - id: first\n    kind: task\n    title: The first step\n    assignee: requester\n"
	}
	checks, err := s.check(c, []byte(v.Source))
	if err != nil {
		return err
	}
	v.Checks = checks
	title := "New definition"
	if v.Key != "" {
		title = "Edit " + v.Key
	}
	return s.render(c, http.StatusOK, "editor", "", view{Title: title, Page: v})
}

// check validates src with the API's validator and, when it is valid, draws it and
// diffs it against the latest published version of its key.
func (s *Server) check(c echo.Context, src []byte) (checksView, error) {
	me, ctx := user(c), c.Request().Context()
	res, err := s.api.ValidateDefinition(ctx, me, src)
	if err != nil {
		return checksView{}, err
	}
	v := checksView{Checked: true, Valid: res.Valid, Errors: res.Errors}
	if !res.Valid {
		return v, nil
	}
	prog, err := definitions.Compile(src)
	if err != nil { // valid for the validator, so this does not happen
		return checksView{}, err
	}
	v.Key = prog.Key
	v.Diagram = flowDiagram(prog, nil, "preview")
	v.Forms = formPreviews(prog, zone(c))
	latest, err := s.api.GetDefinition(ctx, me, prog.Key, 0)
	var p *api.Problem
	switch {
	case errors.As(err, &p) && p.Status == http.StatusNotFound:
	case err != nil:
		return checksView{}, err
	default:
		v.Base, v.Diff = latest.Version, lineDiff(latest.Source, string(src))
	}
	return v, nil
}

// validatePage is the editor's live check (htmx, as the owner types): the error list,
// and when the text is valid its diagram and diff, swapped out of band.
func (s *Server) validatePage(c echo.Context) error {
	v, err := s.check(c, []byte(formSource(c)))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "editor", "checks", view{Page: editorView{Checks: v}})
}

// publishPage publishes the editor's text and lands on the new version's page; an
// invalid text comes back to the editor with its errors (nothing typed is lost).
func (s *Server) publishPage(c echo.Context) error {
	me, ctx := user(c), c.Request().Context()
	src := formSource(c)
	res, err := s.api.PublishDefinition(ctx, me, []byte(src))
	var list *definitions.ErrorList
	if errors.As(err, &list) {
		v := editorView{Source: src, Key: c.FormValue("key")}
		if v.Checks, err = s.check(c, []byte(src)); err != nil {
			return err
		}
		return s.render(c, http.StatusUnprocessableEntity, "editor", "", view{Title: "Edit", Page: v})
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, versionURL(res.Key, res.Version))
}

// formSource is the editor's text: a browser sends a textarea's line ends as CRLF,
// which the owner did not type.
func formSource(c echo.Context) string {
	return strings.ReplaceAll(c.FormValue("source"), "\r\n", "\n")
}

// diffLine is one line of a diff: Op is ' ', '-' or '+'.
type diffLine struct {
	Op       string
	Old, New int // line numbers; 0 where the line is not on that side
	Text     string
}

// lineDiff is a line diff of a and b: the common head and tail, and between them the
// longest common subsequence (or, when that would be too costly, all out and all in).
func lineDiff(a, b string) []diffLine {
	x, y := strings.Split(strings.TrimSuffix(a, "\n"), "\n"), strings.Split(strings.TrimSuffix(b, "\n"), "\n")
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	if pre == len(x) && pre == len(y) {
		return nil
	}
	var out []diffLine
	const context = 3
	for i := max(0, pre-context); i < pre; i++ {
		out = append(out, diffLine{Op: " ", Old: i + 1, New: i + 1, Text: x[i]})
	}
	mx, my := x[pre:len(x)-suf], y[pre:len(y)-suf]
	if len(mx)*len(my) > 4_000_000 {
		for i, l := range mx {
			out = append(out, diffLine{Op: "-", Old: pre + i + 1, Text: l})
		}
		for j, l := range my {
			out = append(out, diffLine{Op: "+", New: pre + j + 1, Text: l})
		}
	} else {
		// lcs[i][j] is the LCS length of mx[i:] and my[j:].
		lcs := make([][]int32, len(mx)+1)
		for i := range lcs {
			lcs[i] = make([]int32, len(my)+1)
		}
		for i := len(mx) - 1; i >= 0; i-- {
			for j := len(my) - 1; j >= 0; j-- {
				if mx[i] == my[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < len(mx) || j < len(my) {
			switch {
			case i < len(mx) && j < len(my) && mx[i] == my[j]:
				out = append(out, diffLine{Op: " ", Old: pre + i + 1, New: pre + j + 1, Text: mx[i]})
				i, j = i+1, j+1
			case i < len(mx) && (j == len(my) || lcs[i+1][j] >= lcs[i][j+1]): // what went, before what came
				out = append(out, diffLine{Op: "-", Old: pre + i + 1, Text: mx[i]})
				i++
			default:
				out = append(out, diffLine{Op: "+", New: pre + j + 1, Text: my[j]})
				j++
			}
		}
	}
	for k := 0; k < suf && k < context; k++ {
		i, j := len(x)-suf+k, len(y)-suf+k
		out = append(out, diffLine{Op: " ", Old: i + 1, New: j + 1, Text: x[i]})
	}
	return out
}
