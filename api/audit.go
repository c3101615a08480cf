package api

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/audit"
	"github.com/handoffhq/handoff/evidence"
	"github.com/handoffhq/handoff/postgres"
)

// RunAudit answers a run's audit trail, derived from its Temporal history. Whoever may
// see the run may read it.
func (s *Server) RunAudit(ctx context.Context, me postgres.User, id string) ([]audit.Event, error) {
	if err := s.seeRun(ctx, me, id); err != nil {
		return nil, err
	}
	history, _, err := s.runHistory(ctx, id)
	if err != nil {
		return nil, err
	}
	events, err := audit.Build(history, s.cfg.DataConverter)
	if err != nil {
		return nil, fmt.Errorf("audit trail of run %s: %w", id, err)
	}
	return events, nil
}

// RunEvidence answers a run's evidence: the definition version it ran (source and
// hash), its audit trail and the digest of its canonical history, to whoever may see it.
func (s *Server) RunEvidence(ctx context.Context, me postgres.User, id string) (*evidence.Evidence, error) {
	if err := s.seeRun(ctx, me, id); err != nil {
		return nil, err
	}
	history, lastRun, err := s.runHistory(ctx, id)
	if err != nil {
		return nil, err
	}
	key, version, _, err := evidence.RunDefinition(history, s.cfg.DataConverter)
	if err != nil {
		return nil, fmt.Errorf("evidence of run %s: %w", id, err)
	}
	d, err := s.db.DefinitionVersion(ctx, key, version)
	if err != nil {
		return nil, fmt.Errorf("evidence of run %s: load definition %s v%d: %w", id, key, version, err)
	}
	ev, err := evidence.New(evidence.Temporal{Namespace: s.cfg.Namespace, WorkflowID: id, RunID: lastRun},
		evidence.Definition{Key: d.Key, Version: d.Version, Hash: d.Hash, Source: d.Source},
		history, s.cfg.DataConverter, time.Now())
	if err != nil {
		return nil, fmt.Errorf("evidence of run %s: %w", id, err)
	}
	return ev, nil
}

// VerifyEvidence checks evidence against its run's history in Temporal as it is now,
// as `handoff evidence verify` does (evidence.Verify), for whoever may see the run: a
// *evidence.MismatchError names every difference.
func (s *Server) VerifyEvidence(ctx context.Context, me postgres.User, ev *evidence.Evidence) error {
	if ev.Temporal.WorkflowID != ev.RunID {
		return &evidence.MismatchError{Problems: []string{fmt.Sprintf("the evidence names run %q but workflow %q", ev.RunID, ev.Temporal.WorkflowID)}}
	}
	if err := s.seeRun(ctx, me, ev.RunID); err != nil {
		return err
	}
	history, _, err := evidence.FetchHistory(ctx, s.temporal, ev.Temporal.WorkflowID, ev.Temporal.RunID)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return problem(http.StatusNotFound, fmt.Sprintf("no run %q", ev.RunID))
	}
	if err != nil {
		return err
	}
	return evidence.Verify(ev, history, s.cfg.DataConverter)
}

// runHistory reads a run's whole history (every execution, continue-as-new included).
func (s *Server) runHistory(ctx context.Context, id string) ([]*historypb.HistoryEvent, string, error) {
	history, lastRun, err := evidence.FetchHistory(ctx, s.temporal, id, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil, "", problem(http.StatusNotFound, fmt.Sprintf("no run %q", id))
	}
	if err != nil {
		return nil, "", err
	}
	return history, lastRun, nil
}

// ---- HTTP

// getAudit answers the audit trail as JSON, or CSV when the client accepts text/csv.
func (s *Server) getAudit(c echo.Context) error {
	id := c.Param("id")
	events, err := s.RunAudit(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	if !acceptsCSV(c.Request().Header.Get(echo.HeaderAccept)) {
		return c.JSON(http.StatusOK, map[string]any{"events": events})
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", id+"-audit.csv"))
	c.Response().WriteHeader(http.StatusOK)
	return audit.WriteCSV(c.Response(), events)
}

func (s *Server) getEvidence(c echo.Context) error {
	ev, err := s.RunEvidence(c.Request().Context(), caller(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ev)
}

// acceptsCSV reports whether an Accept header asks for text/csv (with a non-zero quality).
func acceptsCSV(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && mt == "text/csv" && params["q"] != "0" && params["q"] != "0.0" {
			return true
		}
	}
	return false
}
