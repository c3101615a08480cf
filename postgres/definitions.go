package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

// Definition is one immutable published version of a process definition.
// Version numbers start at 1 per key.
type Definition struct {
	Key, Name, Description string
	Version                int
	Hash                   string          // "sha256:..."
	Source                 string          // the YAML as published
	Program                json.RawMessage // the compiled program (JSON)
	CreatedBy              string
	CreatedAt              time.Time
}

// PublishDefinition stores d as the next version of d.Key, unless the latest
// version has the same Hash: then it returns that version and created=false.
// d.Version and d.CreatedAt are ignored. Publishers of one key are serialised
// by an advisory lock, so they never get the same version number.
func (db *DB) PublishDefinition(ctx context.Context, d Definition) (Definition, bool, error) {
	var (
		out     Definition
		created bool
	)
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if err := db.q.DefinitionKeyLock(ctx, tx, d.Key); err != nil {
			return err
		}
		next := int32(1)
		latest, err := db.q.LatestDefinition(ctx, tx, d.Key)
		switch {
		case err == nil && latest.Hash == d.Hash:
			out = definitionFromRow(latest)
			return nil
		case err == nil:
			next = latest.Version + 1
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		program := d.Program
		if len(program) == 0 {
			program = json.RawMessage("null")
		}
		row, err := db.q.InsertDefinition(ctx, tx, dbsqlc.InsertDefinitionParams{
			Key:         d.Key,
			Version:     next,
			Name:        d.Name,
			Description: d.Description,
			Hash:        d.Hash,
			Source:      d.Source,
			Program:     program,
			CreatedBy:   d.CreatedBy,
		})
		if err != nil {
			return err
		}
		out, created = definitionFromRow(row), true
		return nil
	})
	if err != nil {
		return Definition{}, false, fmt.Errorf("publish definition %s: %w", d.Key, interpretError(err))
	}
	return out, created, nil
}

// LatestDefinition returns the highest version of key.
func (db *DB) LatestDefinition(ctx context.Context, key string) (Definition, error) {
	row, err := db.q.LatestDefinition(ctx, db.pool, key)
	if err != nil {
		return Definition{}, fmt.Errorf("load definition %s: %w", key, interpretError(err))
	}
	return definitionFromRow(row), nil
}

// DefinitionVersion returns one version of key.
func (db *DB) DefinitionVersion(ctx context.Context, key string, version int) (Definition, error) {
	row, err := db.q.DefinitionVersion(ctx, db.pool, dbsqlc.DefinitionVersionParams{Key: key, Version: int32(version)})
	if err != nil {
		return Definition{}, fmt.Errorf("load definition %s v%d: %w", key, version, interpretError(err))
	}
	return definitionFromRow(row), nil
}

// ListDefinitions returns the latest version of each key, ordered by key.
// Source and Program are left empty.
func (db *DB) ListDefinitions(ctx context.Context) ([]Definition, error) {
	rows, err := db.q.ListLatestDefinitions(ctx, db.pool)
	if err != nil {
		return nil, fmt.Errorf("list definitions: %w", interpretError(err))
	}
	out := make([]Definition, 0, len(rows))
	for _, r := range rows {
		out = append(out, Definition{
			Key:         r.Key,
			Name:        r.Name,
			Description: r.Description,
			Version:     int(r.Version),
			Hash:        r.Hash,
			CreatedBy:   r.CreatedBy,
			CreatedAt:   r.CreatedAt,
		})
	}
	return out, nil
}

func definitionFromRow(r dbsqlc.Definition) Definition {
	return Definition{
		Key:         r.Key,
		Name:        r.Name,
		Description: r.Description,
		Version:     int(r.Version),
		Hash:        r.Hash,
		Source:      r.Source,
		Program:     json.RawMessage(r.Program),
		CreatedBy:   r.CreatedBy,
		CreatedAt:   r.CreatedAt,
	}
}
