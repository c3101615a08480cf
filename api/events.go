package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// EventRequest delivers a named external event to a run's wait step.
type EventRequest struct {
	RunID string         `json:"-"`
	Name  string         `json:"-"`
	Data  map[string]any `json:"data"`
	// IdempotencyKey makes a second delivery a no-op (the Idempotency-Key header);
	// without one, a digest of the name and data does.
	IdempotencyKey string `json:"-"`
}

// EventResult says whether the event was new and how the run stands.
type EventResult struct {
	Duplicate bool       `json:"duplicate"`
	Run       RunSummary `json:"run"`
}

// DeliverEvent hands an event to a run, for whoever may see it; the run checks it
// against the wait step's form.
func (s *Server) DeliverEvent(ctx context.Context, me postgres.User, req EventRequest) (EventResult, error) {
	if err := checkPayload("data", req.Data); err != nil {
		return EventResult{}, err
	}
	if err := s.seeRun(ctx, me, req.RunID); err != nil {
		return EventResult{}, err
	}
	id := req.IdempotencyKey
	if id == "" {
		body, _ := json.Marshal(req.Data) // map keys are sorted: a stable digest
		sum := sha256.Sum256(append([]byte(req.Name+"\x00"), body...))
		id = "sha256:" + hex.EncodeToString(sum[:])
	}
	var res workflows.EventResult
	err := s.update(ctx, req.RunID, workflows.UpdateEvent, "event/"+id,
		workflows.EventRequest{ID: id, Name: req.Name, Data: req.Data, Actor: me.ID}, &res)
	if err != nil {
		return EventResult{}, err
	}
	return EventResult{Duplicate: res.Duplicate, Run: runSummary(res.Run)}, nil
}

// ---- HTTP

func (s *Server) deliverEvent(c echo.Context) error {
	var req EventRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.RunID, req.Name, req.IdempotencyKey = c.Param("id"), c.Param("name"), c.Request().Header.Get("Idempotency-Key")
	res, err := s.DeliverEvent(c.Request().Context(), caller(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
