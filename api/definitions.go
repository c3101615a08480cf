package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/postgres"
)

// definitionResource is a published definition version (spec §4).
type definitionResource struct {
	Key         string              `json:"key"`
	Name        string              `json:"name"`
	Description string              `json:"description,omitempty"`
	Version     int                 `json:"version"`
	Hash        string              `json:"hash"`
	Source      string              `json:"source,omitempty"`
	Inputs      []definitions.Field `json:"inputs,omitempty"` // nil in lists: read one definition for its start form
	CreatedBy   string              `json:"created_by,omitempty"`
	CreatedAt   string              `json:"created_at"`
}

type validateResponse struct {
	Valid  bool              `json:"valid"`
	Errors []DefinitionError `json:"errors"`
}

type publishResponse struct {
	Key     string `json:"key"`
	Version int    `json:"version"`
	Hash    string `json:"hash"`
	Created bool   `json:"created"`
}

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
	known, err := knownDefinitions(c.Request().Context(), s.db)
	if err != nil {
		return err
	}
	res := validateResponse{Valid: true, Errors: []DefinitionError{}}
	if _, err := definitions.Compile(src, known); err != nil {
		var list *definitions.ErrorList
		if !errors.As(err, &list) {
			return err
		}
		res.Valid, res.Errors = false, definitionErrors(list)
	}
	return c.JSON(http.StatusOK, res)
}

func (s *Server) publishDefinition(c echo.Context) error {
	src, err := readSource(c)
	if err != nil {
		return err
	}
	d, created, err := Publish(c.Request().Context(), s.db, src, caller(c).ID)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, publishResponse{Key: d.Key, Version: d.Version, Hash: d.Hash, Created: created})
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

func (s *Server) listDefinitions(c echo.Context) error {
	defs, err := s.db.ListDefinitions(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]definitionResource, 0, len(defs))
	for _, d := range defs {
		out = append(out, definitionResource{Key: d.Key, Name: d.Name, Description: d.Description,
			Version: d.Version, Hash: d.Hash, CreatedBy: d.CreatedBy,
			CreatedAt: d.CreatedAt.UTC().Format(timeFormat)})
	}
	return c.JSON(http.StatusOK, map[string]any{"definitions": out})
}

func (s *Server) getDefinition(c echo.Context) error {
	d, err := s.db.LatestDefinition(c.Request().Context(), c.Param("key"))
	if err != nil {
		return notFound(err, "definition %q", c.Param("key"))
	}
	return s.definitionJSON(c, d)
}

func (s *Server) getDefinitionVersion(c echo.Context) error {
	v, err := strconv.Atoi(c.Param("version"))
	if err != nil || v < 1 {
		return problem(http.StatusNotFound, "versions are numbered from 1")
	}
	d, err := s.db.DefinitionVersion(c.Request().Context(), c.Param("key"), v)
	if err != nil {
		return notFound(err, "version %d of definition %q", v, c.Param("key"))
	}
	return s.definitionJSON(c, d)
}

func (s *Server) definitionJSON(c echo.Context, d postgres.Definition) error {
	prog, err := program(d)
	if err != nil {
		return err
	}
	// A definition without a start form answers inputs: [], not a missing field.
	inputs := append(make([]definitions.Field, 0, len(prog.Inputs)), prog.Inputs...)
	return c.JSON(http.StatusOK, definitionResource{Key: d.Key, Name: d.Name, Description: d.Description,
		Version: d.Version, Hash: d.Hash, Source: d.Source, Inputs: inputs, CreatedBy: d.CreatedBy,
		CreatedAt: d.CreatedAt.UTC().Format(timeFormat)})
}

// program decodes a stored definition's compiled program.
func program(d postgres.Definition) (*definitions.Program, error) {
	var p definitions.Program
	if err := json.Unmarshal(d.Program, &p); err != nil {
		return nil, fmt.Errorf("decode program %s v%d: %w", d.Key, d.Version, err)
	}
	return &p, nil
}

func (s *Server) definitionSchema(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/schema+json", definitions.Schema)
}

// notFound turns a store ErrNotFound into a 404 naming what was missing.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, postgres.ErrNotFound) {
		return problem(http.StatusNotFound, fmt.Sprintf("no "+format, args...))
	}
	return err
}
