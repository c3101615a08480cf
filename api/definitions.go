package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/postgres"
)

// Definition is a published definition version (spec §4).
type Definition struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Version     int    `json:"version"`
	Hash        string `json:"hash"`
	// Source is the YAML as published; Inputs the start form. Lists leave both out:
	// read one definition for them.
	Source    string      `json:"source,omitempty"`
	Inputs    []FormField `json:"inputs,omitempty"`
	CreatedBy string      `json:"created_by,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
}

// ValidateResult says whether a definition source is valid, with every error by position.
type ValidateResult struct {
	Valid  bool              `json:"valid"`
	Errors []DefinitionError `json:"errors"`
}

// PublishResult names the version a publication stored; Created is false when the
// source was the same as the latest version's.
type PublishResult struct {
	Key     string `json:"key"`
	Version int    `json:"version"`
	Hash    string `json:"hash"`
	Created bool   `json:"created"`
}

// ValidateDefinition checks a definition source (YAML) without publishing it.
func (s *Server) ValidateDefinition(ctx context.Context, me postgres.User, src []byte) (ValidateResult, error) {
	if err := need(me, roleDesigner); err != nil {
		return ValidateResult{}, err
	}
	known, err := knownDefinitions(ctx, s.db)
	if err != nil {
		return ValidateResult{}, err
	}
	res := ValidateResult{Valid: true, Errors: []DefinitionError{}}
	if _, err := definitions.Compile(src, known); err != nil {
		var list *definitions.ErrorList
		if !errors.As(err, &list) {
			return res, err
		}
		res.Valid, res.Errors = false, definitionErrors(list)
	}
	return res, nil
}

// PublishDefinition compiles a definition source and stores it as the next version of
// its key; an invalid one is a 422 listing every error by position.
func (s *Server) PublishDefinition(ctx context.Context, me postgres.User, src []byte) (PublishResult, error) {
	if err := need(me, roleDesigner); err != nil {
		return PublishResult{}, err
	}
	d, created, err := Publish(ctx, s.db, src, me.ID)
	if err != nil {
		return PublishResult{}, err
	}
	return PublishResult{Key: d.Key, Version: d.Version, Hash: d.Hash, Created: created}, nil
}

// Publish compiles src and stores it as the next version of its key (or returns the
// latest version when it has the same content). `handoff dev` and `handoff publish` use it too.
func Publish(ctx context.Context, db *postgres.DB, src []byte, by string) (postgres.Definition, bool, error) {
	known, err := knownDefinitions(ctx, db)
	if err != nil {
		return postgres.Definition{}, false, err
	}
	prog, err := definitions.Compile(src, known)
	if err != nil {
		return postgres.Definition{}, false, err
	}
	programJSON, err := json.Marshal(prog)
	if err != nil {
		return postgres.Definition{}, false, fmt.Errorf("encode program %s: %w", prog.Key, err)
	}
	return db.PublishDefinition(ctx, postgres.Definition{
		Key: prog.Key, Name: prog.Name, Description: prog.Description, Hash: prog.Hash,
		Source: string(src), Program: programJSON, CreatedBy: by,
	})
}

// knownDefinitions lets Compile check subprocess targets against the published
// definitions: each key with its latest version.
func knownDefinitions(ctx context.Context, db *postgres.DB) (definitions.CompileOption, error) {
	defs, err := db.ListDefinitions(ctx)
	if err != nil {
		return nil, err
	}
	latest := make(map[string]int, len(defs))
	for _, d := range defs {
		latest[d.Key] = d.Version
	}
	return definitions.KnownDefinitions(latest), nil
}

// ListDefinitions lists the latest version of every definition, without sources and
// start forms.
func (s *Server) ListDefinitions(ctx context.Context, me postgres.User) ([]Definition, error) {
	defs, err := s.db.ListDefinitions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Definition, 0, len(defs))
	for _, d := range defs {
		out = append(out, Definition{Key: d.Key, Name: d.Name, Description: d.Description,
			Version: d.Version, Hash: d.Hash, CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt.UTC()})
	}
	return out, nil
}

// GetDefinition answers a definition version (0: the latest) with its source and start form.
func (s *Server) GetDefinition(ctx context.Context, me postgres.User, key string, version int) (Definition, error) {
	var (
		d   postgres.Definition
		err error
	)
	switch {
	case version == 0:
		d, err = s.db.LatestDefinition(ctx, key)
		err = notFound(err, "definition %q", key)
	case version < 0:
		err = problem(http.StatusNotFound, "versions are numbered from 1")
	default:
		d, err = s.db.DefinitionVersion(ctx, key, version)
		err = notFound(err, "version %d of definition %q", version, key)
	}
	if err != nil {
		return Definition{}, err
	}
	prog, err := program(d)
	if err != nil {
		return Definition{}, err
	}
	// A definition without a start form answers inputs: [], not a missing field.
	return Definition{Key: d.Key, Name: d.Name, Description: d.Description,
		Version: d.Version, Hash: d.Hash, Source: d.Source, Inputs: formFields(prog.Inputs), CreatedBy: d.CreatedBy,
		CreatedAt: d.CreatedAt.UTC()}, nil
}

// program decodes a stored definition's compiled program.
func program(d postgres.Definition) (*definitions.Program, error) {
	var p definitions.Program
	if err := json.Unmarshal(d.Program, &p); err != nil {
		return nil, fmt.Errorf("decode program %s v%d: %w", d.Key, d.Version, err)
	}
	return &p, nil
}

// notFound turns a store ErrNotFound into a 404 naming what was missing.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, postgres.ErrNotFound) {
		return problem(http.StatusNotFound, fmt.Sprintf("no "+format, args...))
	}
	return err
}

// ---- HTTP

// readSource reads a definition body (YAML).
func readSource(c echo.Context) ([]byte, error) {
	src, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return nil, jsonProblem(err)
	}
	return src, nil
}

func (s *Server) validateDefinition(c echo.Context) error {
	src, err := readSource(c)
	if err != nil {
		return err
	}
	res, err := s.ValidateDefinition(c.Request().Context(), caller(c), src)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (s *Server) publishDefinition(c echo.Context) error {
	src, err := readSource(c)
	if err != nil {
		return err
	}
	res, err := s.PublishDefinition(c.Request().Context(), caller(c), src)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	return c.JSON(status, res)
}

func (s *Server) listDefinitions(c echo.Context) error {
	defs, err := s.ListDefinitions(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"definitions": defs})
}

func (s *Server) getDefinition(c echo.Context) error {
	d, err := s.GetDefinition(c.Request().Context(), caller(c), c.Param("key"), 0)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *Server) getDefinitionVersion(c echo.Context) error {
	v, err := strconv.Atoi(c.Param("version"))
	if err != nil || v < 1 {
		return problem(http.StatusNotFound, "versions are numbered from 1")
	}
	d, err := s.GetDefinition(c.Request().Context(), caller(c), c.Param("key"), v)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *Server) definitionSchema(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/schema+json", definitions.Schema)
}
