package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// LoadDefinition reads a published definition version (the latest when Version is 0)
// for a subprocess step. An unknown definition is a permanent error.
func (a *Activities) LoadDefinition(ctx context.Context, req workflows.LoadDefinitionRequest) (workflows.LoadedDefinition, error) {
	var (
		d   postgres.Definition
		err error
	)
	if req.Version == 0 {
		d, err = a.DB.LatestDefinition(ctx, req.Key)
	} else {
		d, err = a.DB.DefinitionVersion(ctx, req.Key, req.Version)
	}
	if errors.Is(err, postgres.ErrNotFound) {
		msg := fmt.Sprintf("definition %s is not published: publish it (handoff publish) before runs reach this step", req.Key)
		if req.Version != 0 {
			msg = fmt.Sprintf("definition %s has no published version %d", req.Key, req.Version)
		}
		return workflows.LoadedDefinition{}, temporal.NewNonRetryableApplicationError(msg, "UnknownDefinition", err)
	}
	if err != nil {
		return workflows.LoadedDefinition{}, fmt.Errorf("load definition %s: %w", req.Key, err)
	}
	var p definitions.Program
	if err := json.Unmarshal(d.Program, &p); err != nil {
		return workflows.LoadedDefinition{}, fmt.Errorf("decode definition %s v%d: %w", d.Key, d.Version, err)
	}
	return workflows.LoadedDefinition{Program: &p, Version: d.Version}, nil
}
