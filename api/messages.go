package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/handoffhq/handoff/workflows"
)

// How the API talks to a run: the state query, and Updates (completions, ownership
// changes, events), whose typed refusals become problems here.

// runState asks a run for its state (the `state` query).
func (s *Server) runState(ctx context.Context, id string) (workflows.RunState, error) {
	var state workflows.RunState
	// Bounded like an Update: while Temporal or the run's worker is away, the request
	// answers 503 instead of waiting as long as the outage.
	ctx, cancel := context.WithTimeout(ctx, s.cfg.UpdateTimeout)
	defer cancel()
	v, err := s.temporal.QueryWorkflow(ctx, id, "", workflows.QueryState)
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return state, problem(http.StatusNotFound, fmt.Sprintf("no run %q", id))
		}
		if ctx.Err() != nil {
			return state, problem(http.StatusServiceUnavailable, "the run did not answer in time; try again")
		}
		return state, fmt.Errorf("query run %s: %w", id, err)
	}
	if err := v.Get(&state); err != nil {
		return state, fmt.Errorf("decode state of run %s: %w", id, err)
	}
	return state, nil
}

// update sends an Update to a run and waits for its result, mapping the run's typed
// rejections and a finished run to problems.
func (s *Server) update(ctx context.Context, runID, name, updateID string, arg, result any) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.UpdateTimeout)
	defer cancel()
	handle, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: runID, UpdateName: name, UpdateID: updateID,
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{arg},
	})
	if err == nil {
		err = handle.Get(ctx, result)
	}
	if err == nil {
		return nil
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return problem(http.StatusNotFound, fmt.Sprintf("no active run %q", runID))
	}
	var timedOut *client.WorkflowUpdateServiceTimeoutOrCanceledError
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &timedOut) || ctx.Err() != nil {
		// The SDK reports its own wait running out as a gRPC error, not the context's.
		return problem(http.StatusServiceUnavailable, "the run did not answer in time; try again")
	}
	if p := toProblem(err); p != nil {
		return p
	}
	return fmt.Errorf("%s on run %s: %w", name, runID, err)
}
