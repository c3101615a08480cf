package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/internal/webhook"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// memoWebhookID is the memo entry naming the webhook delivery that started a run, so that a
// redelivery recognises its own run behind a business key.
const memoWebhookID = "handoff_webhook_id"

// webhookResponse answers an accepted delivery.
type webhookResponse struct {
	RunID     string `json:"run_id"`
	Duplicate bool   `json:"duplicate"`
	// Ignored is true when the trigger's `when` turned the delivery down (no run).
	Ignored bool `json:"ignored"`
}

// hookTarget is the trigger a webhook URL names, in the latest version of its definition.
type hookTarget struct {
	def     postgres.Definition
	prog    *definitions.Program
	trigger *definitions.Trigger
}

// hookTarget resolves a trigger in the latest version of its definition; 404 when
// either is unknown.
func (s *Server) hookTarget(ctx context.Context, req WebhookTrigger) (hookTarget, error) {
	d, err := s.db.LatestDefinition(ctx, req.Definition)
	if err != nil {
		return hookTarget{}, notFound(err, "definition %q", req.Definition)
	}
	prog, err := program(d)
	if err != nil {
		return hookTarget{}, err
	}
	t := prog.Trigger(req.Trigger)
	if t == nil {
		return hookTarget{}, problem(http.StatusNotFound, fmt.Sprintf("definition %q has no trigger %q", req.Definition, req.Trigger))
	}
	return hookTarget{def: d, prog: prog, trigger: t}, nil
}

// receiveWebhook starts a run from a Standard Webhooks delivery: verify the signature over
// the raw body, map the payload to inputs, and start exactly one run per webhook-id.
func (s *Server) receiveWebhook(c echo.Context) error {
	target, err := s.hookTarget(c.Request().Context(), webhookTrigger(c))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return jsonProblem(err)
	}
	delivery, err := s.verifyDelivery(c, target, body)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if rec, err := s.db.WebhookDelivery(ctx, target.def.Key, delivery.ID); err == nil {
		logRunID(c.Request().Context(), rec.RunID)
		return c.JSON(http.StatusAccepted, webhookResponse{RunID: rec.RunID, Duplicate: true})
	} else if !errors.Is(err, postgres.ErrNotFound) {
		return err
	}
	rs, ok, err := s.mapDelivery(c, target, body)
	if err != nil || !ok {
		if err == nil {
			return c.JSON(http.StatusAccepted, webhookResponse{Ignored: true})
		}
		return err
	}
	rs.workflowID = deliveryRunID(target.prog.Key, rs.businessKey, delivery.ID)
	if err := checkRunID(rs.workflowID, rs.businessKey); err != nil {
		return err
	}
	if err := s.legacyRunConflict(ctx, target.prog.Key, rs.businessKey); err != nil {
		return err
	}
	logRunID(ctx, rs.workflowID)
	rec, dup, err := s.db.StartDelivery(ctx, postgres.WebhookDelivery{Definition: target.def.Key,
		Trigger: target.trigger.Name, WebhookID: delivery.ID, RunID: rs.workflowID},
		func(ctx context.Context) error { return s.startDeliveryRun(ctx, rs, delivery.ID) })
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, webhookResponse{RunID: rec.RunID, Duplicate: dup})
}

// verifyDelivery checks the signature against the trigger's secrets. Every failure is the
// same 401, so a forger learns nothing; the log says which check failed.
func (s *Server) verifyDelivery(c echo.Context, target hookTarget, body []byte) (webhook.Delivery, error) {
	ctx := c.Request().Context()
	stored, err := s.db.WebhookSecrets(ctx, target.def.Key, target.trigger.Name)
	if err != nil {
		return webhook.Delivery{}, err
	}
	if len(stored) > 0 && s.cfg.Secrets == nil {
		return webhook.Delivery{}, problem(http.StatusServiceUnavailable,
			"webhook secrets cannot be read: HANDOFF_SECRETS_KEY is not set")
	}
	keys := make([][]byte, 0, len(stored))
	for _, ws := range stored {
		key, err := s.openWebhookSecret(ws)
		if err != nil {
			return webhook.Delivery{}, err
		}
		keys = append(keys, key)
	}
	d, err := webhook.Verify(keys, c.Request().Header, body, time.Now())
	if err != nil {
		s.log.WarnContext(ctx, "webhook refused", "definition", target.def.Key, "trigger", target.trigger.Name,
			"webhook_id", d.ID, "reason", err.Error())
		return d, problem(http.StatusUnauthorized, webhook.ErrInvalid.Error())
	}
	return d, nil
}

// mapDelivery turns the payload into a run start with the trigger's mapping: ok is false
// when the trigger's `when` turns the delivery down (false, or reading a field the
// payload does not have). A payload that does not map is a 422 naming every input at
// fault, whether its expression failed on the payload or its value is not valid; an
// optional input whose field is absent is simply left out.
func (s *Server) mapDelivery(c echo.Context, target hookTarget, body []byte) (runStart, bool, error) {
	var payload any
	if err := json.Unmarshal(body, &payload); err != nil {
		return runStart{}, false, problem(http.StatusBadRequest, "the payload is not JSON: "+err.Error())
	}
	if !utf8.Valid(body) { // JSON is UTF-8 (RFC 8259); the decoder would quietly replace the bytes
		fe := scanJSONText(body, firstInvalidUTF8(body))
		if fe == nil {
			fe = &FieldError{Field: "payload", Message: "is not valid UTF-8"}
		} else {
			fe.Field = "payload." + fe.Field
		}
		return runStart{}, false, invalid("the payload is not valid UTF-8", *fe)
	}
	m, err := s.engine.MapTrigger(target.prog, target.trigger.Name, payload, deliveryHeaders(c.Request().Header))
	if err != nil || m.Ignored {
		return runStart{}, false, err
	}
	trigger := "trigger." + target.trigger.Name + "."
	unmapped := map[string]bool{}
	var errs []FieldError
	for _, fe := range m.Errors {
		if strings.HasPrefix(fe.Field, "inputs.") {
			unmapped[strings.TrimPrefix(fe.Field, "inputs.")] = true
			errs = append(errs, FieldError{Field: fe.Field, Message: fe.Message})
		} else {
			errs = append(errs, FieldError{Field: trigger + fe.Field, Message: fe.Message})
		}
	}
	if err := checkPayload("inputs", m.Inputs); err != nil {
		return runStart{}, false, err // mapped inputs too large, or holding text that cannot be stored
	}
	who := "webhook:" + target.trigger.Name
	prog, version := target.prog, target.def.Version
	inputs, verrs := s.engine.ValidateForm(prog, prog.Inputs, m.Inputs, startVars(prog, version, "", who, m.Inputs))
	for _, fe := range verrs {
		if !unmapped[fe.Field] { // an input that failed to map is not also "required"
			errs = append(errs, FieldError{Field: "inputs." + fe.Field, Message: fe.Message})
		}
	}
	businessKey := m.BusinessKey
	if len(errs) == 0 && businessKey == "" {
		if businessKey, err = s.engine.BusinessKey(prog, inputs); err != nil {
			errs = append(errs, FieldError{Field: "business_key", Message: "cannot be computed from the inputs: " + err.Error()})
		}
	}
	if len(errs) > 0 {
		return runStart{}, false, invalid("the payload does not map to the run's inputs", errs...)
	}
	if err := checkBusinessKey(businessKey); err != nil {
		return runStart{}, false, err
	}
	return runStart{prog: prog, version: version, inputs: inputs, startedBy: who, businessKey: businessKey}, true, nil
}

// deliveryHeaders are the request headers as the mapping sees them: lower-case names, first
// values, without credentials.
func deliveryHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for name, values := range h {
		name = strings.ToLower(name)
		if name == "authorization" || name == "cookie" || len(values) == 0 {
			continue
		}
		out[name] = values[0]
	}
	return out
}

// deliveryRunID is the run id of a delivery: the business key's run id when the trigger
// yields one (one active run per key), else one derived from the webhook-id.
func deliveryRunID(key, businessKey, webhookID string) string {
	if businessKey != "" {
		return runID(key, businessKey)
	}
	sum := sha256.Sum256([]byte(webhookID))
	return key + "-wh-" + hex.EncodeToString(sum[:])[:16]
}

// startDeliveryRun starts the run of a new delivery. The delivery's own id is reused if the
// run already exists (a start that succeeded before its record was lost); a run with the
// same business key started by anything else is a 409 naming it.
func (s *Server) startDeliveryRun(ctx context.Context, rs runStart, webhookID string) error {
	rs.memo = map[string]any{memoWebhookID: webhookID}
	if rs.businessKey == "" {
		rs.conflict = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
		rs.reuse = enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE
	} else {
		rs.conflict = enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL
	}
	opts := s.startOptions(rs)
	opts.WorkflowExecutionErrorWhenAlreadyStarted = true // else the SDK hides whose run it is
	_, err := s.temporal.ExecuteWorkflow(ctx, opts, workflows.WorkflowName, s.runInput(rs))
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if !errors.As(err, &started) {
		if err != nil {
			return fmt.Errorf("start run %s: %w", rs.workflowID, err)
		}
		return nil
	}
	if rs.businessKey == "" {
		return nil // the id is this delivery's: its run exists and has closed
	}
	mine, err := s.startedByDelivery(ctx, rs.workflowID, webhookID)
	if err != nil || mine {
		return err
	}
	return activeRunConflict(rs.workflowID, rs.businessKey)
}

// startedByDelivery reports whether the latest run with id was started by the delivery.
func (s *Server) startedByDelivery(ctx context.Context, id, webhookID string) (bool, error) {
	desc, err := s.temporal.DescribeWorkflow(ctx, id, "")
	if err != nil {
		return false, fmt.Errorf("describe run %s: %w", id, err)
	}
	p := desc.RawResponse.GetWorkflowExecutionInfo().GetMemo().GetFields()[memoWebhookID]
	if p == nil {
		return false, nil
	}
	var got string
	if err := json.Unmarshal(p.GetData(), &got); err != nil {
		return false, nil // not the plain JSON this API writes (e.g. encrypted): not provably ours
	}
	return got == webhookID, nil
}
