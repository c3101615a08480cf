package api

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

const timeFormat = time.RFC3339Nano

type startRunRequest struct {
	Definition  string         `json:"definition"`
	Version     int            `json:"version,omitempty"`
	Inputs      map[string]any `json:"inputs"`
	BusinessKey string         `json:"business_key,omitempty"`
}

// runResource is a run as the API shows it: the interpreter's state plus where it lives in Temporal.
type runResource struct {
	workflows.RunState
	OpenTasks []taskResource `json:"open_tasks"`
	Temporal  temporalRef    `json:"temporal"`
}

type temporalRef struct {
	Namespace  string `json:"namespace"`
	WorkflowID string `json:"workflow_id"`
	RunID      string `json:"run_id,omitempty"`
}

// runListItem is a run in GET /v1/runs, from the projection.
type runListItem struct {
	ID          string  `json:"id"`
	Definition  string  `json:"definition"`
	Version     int     `json:"version"`
	Status      string  `json:"status"`
	BusinessKey string  `json:"business_key,omitempty"`
	Summary     string  `json:"summary,omitempty"`
	StartedBy   string  `json:"started_by"`
	StartedAt   string  `json:"started_at"`
	CompletedAt *string `json:"completed_at,omitempty"`
}

func (s *Server) startRun(c echo.Context) error {
	var req startRunRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Definition == "" {
		return invalid("definition is required", FieldError{Field: "definition", Message: "is required"})
	}
	if req.Version < 0 {
		return invalid("version must be positive", FieldError{Field: "version", Message: "must be 1 or more"})
	}
	ctx := c.Request().Context()
	d, err := s.definitionFor(c, req.Definition, req.Version)
	if err != nil {
		return err
	}
	prog, err := program(d)
	if err != nil {
		return err
	}
	who := caller(c).ID
	if err := checkBusinessKey(req.BusinessKey); err != nil {
		return err
	}
	id := runID(prog.Key, req.BusinessKey)
	inputs, err := s.validateInputs(prog, d.Version, id, who, req.Inputs)
	if err != nil {
		return err
	}
	if req.BusinessKey == "" {
		// The definition's business key, when it declares one, makes the guarantee without asking the caller.
		if req.BusinessKey, err = s.engine.BusinessKey(prog, inputs); err != nil {
			return invalid("the business key cannot be computed from the inputs",
				FieldError{Field: "business_key", Message: err.Error()})
		}
		if err := checkBusinessKey(req.BusinessKey); err != nil {
			return err
		}
		if req.BusinessKey != "" {
			id = runID(prog.Key, req.BusinessKey)
		}
	}
	if err := checkRunID(id, req.BusinessKey); err != nil {
		return err
	}
	if err := s.legacyRunConflict(ctx, prog.Key, req.BusinessKey); err != nil {
		return err
	}
	setLogRunID(c, id)
	state, runID, err := s.startRunSettled(ctx, runStart{
		prog: prog, version: d.Version, inputs: inputs, startedBy: who, businessKey: req.BusinessKey,
		workflowID: id, conflict: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	})
	if err != nil {
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			return activeRunConflict(id, req.BusinessKey)
		}
		return err
	}
	return c.JSON(http.StatusCreated, s.runJSON(state, runID))
}

// activeRunConflict is the 409 for a business key that already has an active run.
func activeRunConflict(id, businessKey string) *Problem {
	p := problem(http.StatusConflict, fmt.Sprintf("run %s is already active for business key %q", id, businessKey))
	p.RunID = id
	return p
}

// validateInputs checks raw inputs against the program's start form and returns them
// normalised (defaults applied), or a 422 naming every field at fault as inputs.<id>.
func (s *Server) validateInputs(prog *definitions.Program, version int, id, who string, raw map[string]any) (map[string]any, error) {
	if raw == nil {
		raw = map[string]any{}
	}
	if err := checkPayload("inputs", raw); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	vars := definitions.Vars{Inputs: raw, Form: raw, Now: now,
		Run: definitions.RunVars{ID: id, StartedBy: who, Definition: prog.Key, Version: version, StartedAt: now}}
	inputs, errs := s.engine.ValidateForm(prog, prog.Inputs, raw, vars)
	if len(errs) > 0 {
		return nil, invalid("the inputs are invalid", fieldErrors("inputs.", errs)...)
	}
	return inputs, nil
}

// runStart is what starting a run takes, whoever starts it: a person, a webhook.
type runStart struct {
	prog        *definitions.Program
	version     int
	inputs      map[string]any // validated
	startedBy   string
	businessKey string
	workflowID  string
	conflict    enumspb.WorkflowIdConflictPolicy
	// reuse defaults to ALLOW_DUPLICATE: a closed run's id may be taken again.
	reuse enumspb.WorkflowIdReusePolicy
	memo  map[string]any
}

// runInput is the workflow input of a run started now: it follows this code's
// interpreter version.
func (s *Server) runInput(rs runStart) workflows.RunInput {
	return workflows.RunInput{Program: rs.prog, Version: rs.version, Inputs: rs.inputs,
		StartedBy: rs.startedBy, BusinessKey: rs.businessKey, ContinueAsNewAfter: s.cfg.ContinueAsNewAfter,
		Interpreter: workflows.InterpreterVersion}
}

// startOptions are the Temporal start options of a run: its id, search attributes and the
// summary Temporal Web shows.
func (s *Server) startOptions(rs runStart) client.StartWorkflowOptions {
	now := time.Now().UTC()
	vars := definitions.Vars{Inputs: rs.inputs, Now: now, Run: definitions.RunVars{ID: rs.workflowID,
		StartedBy: rs.startedBy, Definition: rs.prog.Key, Version: rs.version, StartedAt: now}}
	summary, err := s.engine.Render(rs.prog, rs.prog.Summary, vars)
	if err != nil || summary == "" {
		summary = rs.prog.Name
	}
	details := fmt.Sprintf("%s · version %d · started by %s", rs.prog.Name, rs.version, rs.startedBy)
	attrs := []temporal.SearchAttributeUpdate{
		workflows.AttrDefinition.ValueSet(rs.prog.Key),
		workflows.AttrVersion.ValueSet(int64(rs.version)),
	}
	if rs.businessKey != "" {
		attrs = append(attrs, workflows.AttrBusinessKey.ValueSet(rs.businessKey))
	}
	reuse := rs.reuse
	if reuse == enumspb.WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED {
		reuse = enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
	}
	return client.StartWorkflowOptions{
		ID:                       rs.workflowID,
		TaskQueue:                s.cfg.TaskQueue,
		WorkflowIDConflictPolicy: rs.conflict,
		WorkflowIDReusePolicy:    reuse,
		TypedSearchAttributes:    temporal.NewSearchAttributes(attrs...),
		Memo:                     rs.memo,
		StaticSummary:            clip(summary, maxStaticSummaryBytes),
		StaticDetails:            clip(details, maxStaticDetailsBytes),
	}
}

// startRunSettled starts a run and waits until it has opened its first tasks, so that the
// answer can name them. A WorkflowExecutionAlreadyStarted error comes back unwrapped-able.
func (s *Server) startRunSettled(ctx context.Context, rs runStart) (workflows.RunState, string, error) {
	start := s.temporal.NewWithStartWorkflowOperation(s.startOptions(rs), workflows.WorkflowName, s.runInput(rs))
	handle, err := s.temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   workflows.UpdateSettle,
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return workflows.RunState{}, "", fmt.Errorf("start run %s: %w", rs.workflowID, err)
	}
	var state workflows.RunState
	if err := handle.Get(ctx, &state); err != nil {
		return state, "", fmt.Errorf("wait for run %s to start: %w", rs.workflowID, err)
	}
	wr, err := start.Get(ctx)
	if err != nil {
		return state, "", fmt.Errorf("start run %s: %w", rs.workflowID, err)
	}
	return state, wr.GetRunID(), nil
}

// definitionFor loads a definition version for a start request; an unknown one is a 422
// naming the field, since the request itself is well-formed.
func (s *Server) definitionFor(c echo.Context, key string, version int) (postgres.Definition, error) {
	var (
		d   postgres.Definition
		err error
	)
	if version == 0 {
		d, err = s.db.LatestDefinition(c.Request().Context(), key)
	} else {
		d, err = s.db.DefinitionVersion(c.Request().Context(), key, version)
	}
	if errors.Is(err, postgres.ErrNotFound) {
		if version == 0 {
			return d, invalid("unknown definition", FieldError{Field: "definition", Message: fmt.Sprintf("no definition %q is published", key)})
		}
		return d, invalid("unknown definition version", FieldError{Field: "version", Message: fmt.Sprintf("definition %q has no version %d", key, version)})
	}
	return d, err
}

func (s *Server) getRun(c echo.Context) error {
	id := c.Param("id")
	if err := s.seeRun(c, id); err != nil {
		return err
	}
	v, err := s.temporal.QueryWorkflow(c.Request().Context(), id, "", workflows.QueryState)
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return problem(http.StatusNotFound, fmt.Sprintf("no run %q", id))
		}
		return fmt.Errorf("query run %s: %w", id, err)
	}
	var state workflows.RunState
	if err := v.Get(&state); err != nil {
		return fmt.Errorf("decode state of run %s: %w", id, err)
	}
	return c.JSON(http.StatusOK, s.runJSON(state, ""))
}

func (s *Server) runJSON(state workflows.RunState, runID string) runResource {
	open := make([]taskResource, 0, len(state.OpenTasks))
	for _, t := range state.OpenTasks {
		open = append(open, taskFromRun(t))
	}
	if state.Steps == nil {
		state.Steps = []workflows.StepState{}
	}
	return runResource{RunState: state, OpenTasks: open,
		Temporal: temporalRef{Namespace: s.cfg.Namespace, WorkflowID: state.ID, RunID: runID}}
}

func (s *Server) listRuns(c echo.Context) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	status := c.QueryParam("status")
	switch status {
	case "", workflows.StatusRunning, workflows.StatusCompleted, workflows.StatusFailed, workflows.StatusCancelled:
	default:
		return invalid("unknown status", FieldError{Field: "status", Message: "must be running, completed, failed or cancelled"})
	}
	runs, err := s.db.ListRuns(c.Request().Context(), postgres.RunFilter{
		Definition: c.QueryParam("definition"), Status: status, After: c.QueryParam("page_token"), Limit: limit + 1,
		Viewer: caller(c).ID})
	if err != nil {
		return err
	}
	next := ""
	if len(runs) > limit {
		runs = runs[:limit]
		next = runs[limit-1].ID
	}
	out := make([]runListItem, 0, len(runs))
	for _, r := range runs {
		item := runListItem{ID: r.ID, Definition: r.Definition, Version: r.Version, Status: r.Status,
			BusinessKey: r.BusinessKey, Summary: r.Summary, StartedBy: r.StartedBy, StartedAt: r.StartedAt.UTC().Format(timeFormat)}
		if r.CompletedAt != nil {
			t := r.CompletedAt.UTC().Format(timeFormat)
			item.CompletedAt = &t
		}
		out = append(out, item)
	}
	return c.JSON(http.StatusOK, map[string]any{"runs": out, "next_page_token": next})
}

// runID is the readable workflow id: the definition key and the business key (runKey),
// or a short random suffix when there is none.
func runID(key, businessKey string) string {
	if businessKey != "" {
		return key + "-" + runKey(businessKey)
	}
	return key + "-" + randomSuffix()
}

// runKey is a business key as it appears in a run id. The mapping is injective, so two
// business keys never share a run: ASCII letters, digits, '-', '_' and '.' stay as they
// are, and every other byte becomes '~' and two hex digits ("PO 1" → "PO~201", "日本" →
// "~E6~97~A5~E6~9C~AC"). A key of ASCII letters, digits, '-' and '_' is its own id part, as
// it always was. Run ids stay printable ASCII: the Temporal SDK sends them in a gRPC header.
func runKey(businessKey string) string {
	var b strings.Builder
	for i := 0; i < len(businessKey); i++ {
		switch c := businessKey[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "~%02X", c)
		}
	}
	return b.String()
}

var legacyUnsafeID = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// legacyRunID is the run id a business key had before runKey (runs of interpreter
// versions 1 and 2 still active may have it): other characters squeezed into '-'.
func legacyRunID(key, businessKey string) string {
	return key + "-" + strings.Trim(legacyUnsafeID.ReplaceAllString(businessKey, "-"), "-")
}

// legacyRunConflict is the 409 for a business key whose active run was started under the
// earlier id mapping, so that the one-active-run guarantee holds across the change.
func (s *Server) legacyRunConflict(ctx context.Context, key, businessKey string) error {
	if businessKey == "" || legacyRunID(key, businessKey) == runID(key, businessKey) {
		return nil
	}
	r, err := s.db.ActiveRunByBusinessKey(ctx, key, businessKey)
	if errors.Is(err, postgres.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if r.ID != runID(key, businessKey) {
		return activeRunConflict(r.ID, businessKey)
	}
	return nil
}

// checkBusinessKey refuses a business key that cannot be stored or is too long.
func checkBusinessKey(businessKey string) error {
	if why := unstorable(businessKey); why != "" {
		return invalid("the business key cannot be stored", FieldError{Field: "business_key", Message: why})
	}
	if len(businessKey) > MaxBusinessKeyBytes {
		return invalid("the business key is too long", FieldError{Field: "business_key",
			Message: fmt.Sprintf("is %d bytes; at most %d are accepted", len(businessKey), MaxBusinessKeyBytes)})
	}
	return nil
}

// maxRunIDBytes is Temporal's limit on a workflow id.
const maxRunIDBytes = 1000

// Temporal's limits on a run's static summary and details (user metadata), in bytes.
const (
	maxStaticSummaryBytes = 400
	maxStaticDetailsBytes = 20000
)

// checkRunID refuses a run id longer than Temporal accepts (a long definition key with a
// long business key).
func checkRunID(id, businessKey string) error {
	if len(id) <= maxRunIDBytes {
		return nil
	}
	field := "business_key"
	if businessKey == "" {
		field = "definition"
	}
	return invalid("the run id would be too long", FieldError{Field: field,
		Message: fmt.Sprintf("makes the run id %d bytes long; Temporal accepts at most %d", len(id), maxRunIDBytes)})
}

// clip shortens s to at most max bytes, on a character boundary, ending in "…".
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// randomSuffix is 8 random lower-case base32 characters.
func randomSuffix() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.EncodeToString(b))
}

// cancelRun asks Temporal to cancel a run; the run cancels its open tasks, timers and
// child runs, and records itself cancelled. Admins and the run's starter may cancel.
func (s *Server) cancelRun(c echo.Context) error {
	var req cancelRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Reason == "" {
		return invalid("reason is required", FieldError{"reason", "is required: say why the run is cancelled"})
	}
	id := c.Param("id")
	ctx := c.Request().Context()
	if err := s.seeRun(c, id); err != nil {
		return err
	}
	r, err := s.db.Run(ctx, id)
	if err != nil {
		return notFound(err, "run %q", id)
	}
	me := caller(c)
	if me.Role != roleAdmin && r.StartedBy != me.ID {
		return problem(http.StatusForbidden, "only admins and the run's starter may cancel it")
	}
	if r.Status != workflows.StatusRunning {
		return problem(http.StatusConflict, fmt.Sprintf("run %s is %s", id, r.Status))
	}
	// The reason goes first, as a signal the run reads (and passes on to its subprocesses):
	// Temporal's cancellation request carries none that workflow code can see.
	err = s.temporal.SignalWorkflow(ctx, id, "", workflows.SignalCancelReason, workflows.CancelNotice{Reason: req.Reason, By: me.ID})
	if err == nil {
		_, err = s.temporal.WorkflowService().RequestCancelWorkflowExecution(ctx, &workflowservice.RequestCancelWorkflowExecutionRequest{
			Namespace:         s.cfg.Namespace,
			WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: id},
			Identity:          me.ID,
			Reason:            req.Reason,
		})
	}
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return problem(http.StatusConflict, fmt.Sprintf("run %s has already ended", id))
		}
		return fmt.Errorf("cancel run %s: %w", id, err)
	}
	return c.JSON(http.StatusAccepted, map[string]string{"id": id, "status": "cancelling"})
}
