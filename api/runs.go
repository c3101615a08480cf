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

// StartRunRequest starts a run of a definition version with the start form's values.
type StartRunRequest struct {
	Definition string `json:"definition"`
	// Version is the definition version to run; 0 means the latest.
	Version int            `json:"version,omitempty"`
	Inputs  map[string]any `json:"inputs"`
	// BusinessKey makes "one active run per key" a guarantee; else the definition's own
	// business key applies, if it declares one.
	BusinessKey string `json:"business_key,omitempty"`
}

// Run is a run as the API shows it: the interpreter's state (the run's `state` query)
// and where it lives in Temporal.
type Run struct {
	ID          string         `json:"id"`
	Definition  string         `json:"definition"`
	Version     int            `json:"version"`
	Status      string         `json:"status"`
	Outcome     string         `json:"outcome,omitempty"`
	Outputs     map[string]any `json:"outputs,omitempty"`
	Error       string         `json:"error,omitempty"`
	BusinessKey string         `json:"business_key,omitempty"`
	Summary     string         `json:"summary,omitempty"`
	StartedAt   time.Time      `json:"started_at"`
	// StartedBy is a user id, webhook:<trigger> or schedule:<id>.
	StartedBy   string     `json:"started_by"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	// Cancellation says why a cancelled run was cancelled, and by whom (or which parent run).
	Cancellation *Cancellation  `json:"cancellation,omitempty"`
	Inputs       map[string]any `json:"inputs"`
	// Steps are the steps reached so far, in order.
	Steps     []Step `json:"steps"`
	OpenTasks []Task `json:"open_tasks"`
	// Events are the external events delivered to the run, in order.
	Events []RunEvent `json:"events,omitempty"`
	// Rejected lists signals the run refused, e.g. a completion sent from the Temporal
	// CLI that failed validation.
	Rejected []Rejection `json:"rejected,omitempty"`
	Temporal TemporalRef `json:"temporal"`
}

// Step is one step of a run as far as it has got.
type Step struct {
	ID      string         `json:"id"`
	Kind    string         `json:"kind"`
	Status  string         `json:"status"`
	Round   int            `json:"round,omitempty"`
	Outcome string         `json:"outcome,omitempty"`
	Comment string         `json:"comment,omitempty"`
	Data    map[string]any `json:"data,omitempty"`
	Votes   []Vote         `json:"votes,omitempty"`
	// SentBack counts the times an approval sent the work back; Fixes the times a
	// failed automation was repaired.
	SentBack int        `json:"sent_back,omitempty"`
	Fixes    int        `json:"fixes,omitempty"`
	Until    *time.Time `json:"until,omitempty"`
	// Expedited says who ended this wait early, when and why.
	Expedited   *Expedited `json:"expedited,omitempty"`
	Error       string     `json:"error,omitempty"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	CompletedBy string     `json:"completed_by,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
}

// Cancellation is why a run was cancelled; ByRun names the parent run that cancelled a subprocess.
type Cancellation struct {
	Reason string `json:"reason"`
	By     string `json:"by,omitempty"`
	ByRun  string `json:"by_run,omitempty"`
}

// Expedited is who ended a wait early (POST /v1/runs/{id}/steps/{step}/expedite), when and why.
type Expedited struct {
	By     string    `json:"by"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Vote is one approver's decision on an approval.
type Vote struct {
	By      string         `json:"by"`
	Outcome string         `json:"outcome"`
	Comment string         `json:"comment,omitempty"`
	Data    map[string]any `json:"data,omitempty"`
	At      time.Time      `json:"at"`
}

// RunEvent is an external event delivered to a run.
type RunEvent struct {
	ID   string         `json:"id"`
	Name string         `json:"name"`
	Data map[string]any `json:"data,omitempty"`
	By   string         `json:"by,omitempty"`
	At   time.Time      `json:"at"`
	// ConsumedBy is the wait step that took it.
	ConsumedBy string `json:"consumed_by,omitempty"`
}

// Rejection is a signal the run refused, and why.
type Rejection struct {
	At      time.Time    `json:"at"`
	Signal  string       `json:"signal"`
	TaskID  string       `json:"task_id,omitempty"`
	Actor   string       `json:"actor,omitempty"`
	Reason  string       `json:"reason"`
	Details []FieldError `json:"details,omitempty"`
}

// TemporalRef is where a run lives in Temporal.
type TemporalRef struct {
	Namespace  string `json:"namespace"`
	WorkflowID string `json:"workflow_id"`
	// RunID is the execution's run id, known when the run has just started.
	RunID string `json:"run_id,omitempty"`
}

// RunQuery selects runs for ListRuns.
type RunQuery struct {
	Definition string
	// Status is running, completed, failed, cancelled, or "" for any.
	Status    string
	PageToken string
	// Limit is the page size, 1 to 200; 0 means 50.
	Limit int
}

// RunPage is a page of runs, newest first.
type RunPage struct {
	Runs          []RunListItem `json:"runs"`
	NextPageToken string        `json:"next_page_token"`
}

// RunListItem is a run in a list, from the projection.
type RunListItem struct {
	ID          string     `json:"id"`
	Definition  string     `json:"definition"`
	Version     int        `json:"version"`
	Status      string     `json:"status"`
	BusinessKey string     `json:"business_key,omitempty"`
	Summary     string     `json:"summary,omitempty"`
	StartedBy   string     `json:"started_by"`
	StartedAt   time.Time  `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
}

// CancelRunRequest cancels a run, saying why.
type CancelRunRequest struct {
	RunID  string `json:"-"`
	Reason string `json:"reason"`
}

// CancelRunResult says the cancellation was asked for; the run records it when done.
type CancelRunResult struct {
	ID     string `json:"id"`
	Status string `json:"status"` // "cancelling"
}

// StartRun starts a run from a definition's start form and answers once the run has
// opened its first tasks. Bad inputs are a 422 naming each as inputs.<id>; a business
// key with an active run is a 409 naming that run.
func (s *Server) StartRun(ctx context.Context, me postgres.User, req StartRunRequest) (Run, error) {
	if req.Definition == "" {
		return Run{}, invalid("definition is required", FieldError{Field: "definition", Message: "is required"})
	}
	if req.Version < 0 {
		return Run{}, invalid("version must be positive", FieldError{Field: "version", Message: "must be 1 or more"})
	}
	d, err := s.definitionFor(ctx, req.Definition, req.Version)
	if err != nil {
		return Run{}, err
	}
	prog, err := program(d)
	if err != nil {
		return Run{}, err
	}
	if err := checkBusinessKey(req.BusinessKey); err != nil {
		return Run{}, err
	}
	id := runID(prog.Key, req.BusinessKey)
	inputs, err := s.validateInputs(prog, d.Version, id, me.ID, req.Inputs)
	if err != nil {
		return Run{}, err
	}
	if req.BusinessKey == "" {
		// The definition's business key, when it declares one, makes the guarantee without asking the caller.
		if req.BusinessKey, err = s.engine.BusinessKey(prog, inputs); err != nil {
			return Run{}, invalid("the business key cannot be computed from the inputs",
				FieldError{Field: "business_key", Message: err.Error()})
		}
		if err := checkBusinessKey(req.BusinessKey); err != nil {
			return Run{}, err
		}
		if req.BusinessKey != "" {
			id = runID(prog.Key, req.BusinessKey)
		}
	}
	if err := checkRunID(id, req.BusinessKey); err != nil {
		return Run{}, err
	}
	if err := s.legacyRunConflict(ctx, prog.Key, req.BusinessKey); err != nil {
		return Run{}, err
	}
	logRunID(ctx, id)
	state, runID, err := s.startRunSettled(ctx, runStart{
		prog: prog, version: d.Version, inputs: inputs, startedBy: me.ID, businessKey: req.BusinessKey,
		workflowID: id, conflict: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	})
	if err != nil {
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			return Run{}, activeRunConflict(id, req.BusinessKey)
		}
		return Run{}, err
	}
	return s.runResource(state, runID), nil
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
	inputs, errs := s.engine.ValidateForm(prog, prog.Inputs, raw, startVars(prog, version, id, who, raw))
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
	if err := s.fillSettled(ctx, &state, rs); err != nil {
		return state, "", fmt.Errorf("read the first tasks of run %s: %w", rs.workflowID, err)
	}
	wr, err := start.Get(ctx)
	if err != nil {
		return state, "", fmt.Errorf("start run %s: %w", rs.workflowID, err)
	}
	return state, wr.GetRunID(), nil
}

// definitionFor loads a definition version for a start request; an unknown one is a 422
// naming the field, since the request itself is well-formed.
func (s *Server) definitionFor(ctx context.Context, key string, version int) (postgres.Definition, error) {
	var (
		d   postgres.Definition
		err error
	)
	if version == 0 {
		d, err = s.db.LatestDefinition(ctx, key)
	} else {
		d, err = s.db.DefinitionVersion(ctx, key, version)
	}
	if errors.Is(err, postgres.ErrNotFound) {
		if version == 0 {
			return d, invalid("unknown definition", FieldError{Field: "definition", Message: fmt.Sprintf("no definition %q is published", key)})
		}
		return d, invalid("unknown definition version", FieldError{Field: "version", Message: fmt.Sprintf("definition %q has no version %d", key, version)})
	}
	return d, err
}

// GetRun answers a run as it stands, from the run itself, to whoever may see it.
func (s *Server) GetRun(ctx context.Context, me postgres.User, id string) (Run, error) {
	if err := s.seeRun(ctx, me, id); err != nil {
		return Run{}, err
	}
	state, err := s.runState(ctx, id)
	if err != nil {
		return Run{}, err
	}
	return s.runResource(state, ""), nil
}

// runResource converts the run's state; runID is the execution's, when known.
func (s *Server) runResource(st workflows.RunState, runID string) Run {
	r := Run{ID: st.ID, Definition: st.Definition, Version: st.Version, Status: st.Status, Outcome: st.Outcome,
		Outputs: st.Outputs, Error: st.Error, BusinessKey: st.BusinessKey, Summary: st.Summary,
		StartedAt: st.StartedAt, StartedBy: st.StartedBy, CompletedAt: st.CompletedAt, Inputs: st.Inputs,
		Steps: make([]Step, 0, len(st.Steps)), OpenTasks: make([]Task, 0, len(st.OpenTasks)),
		Temporal: TemporalRef{Namespace: s.cfg.Namespace, WorkflowID: st.ID, RunID: runID}}
	if r.Inputs == nil {
		r.Inputs = map[string]any{}
	}
	for _, step := range st.Steps {
		r.Steps = append(r.Steps, Step{ID: step.ID, Kind: step.Kind, Status: step.Status, Round: step.Round,
			Outcome: step.Outcome, Comment: step.Comment, Data: step.Data, Votes: votes(step.Votes),
			SentBack: step.SentBack, Fixes: step.Fixes, Until: step.Until, Error: step.Error,
			StartedAt: step.StartedAt, CompletedBy: step.CompletedBy, CompletedAt: step.CompletedAt})
		if e := step.Expedited; e != nil {
			r.Steps[len(r.Steps)-1].Expedited = &Expedited{By: e.By, Reason: e.Reason, At: e.At}
		}
	}
	if c := st.Cancellation; c != nil {
		r.Cancellation = &Cancellation{Reason: c.Reason, By: c.By, ByRun: c.ByRun}
	}
	for _, t := range st.OpenTasks {
		r.OpenTasks = append(r.OpenTasks, taskFromRun(t))
	}
	for _, e := range st.Events {
		r.Events = append(r.Events, RunEvent{ID: e.ID, Name: e.Name, Data: e.Data, By: e.By, At: e.At, ConsumedBy: e.Consumed})
	}
	for _, rej := range st.Rejected {
		r.Rejected = append(r.Rejected, Rejection{At: rej.At, Signal: rej.Signal, TaskID: rej.TaskID,
			Actor: rej.Actor, Reason: rej.Reason, Details: fieldErrors("", rej.Details)})
	}
	return r
}

// votes converts an approval's votes; nil stays nil.
func votes(vs []workflows.Vote) []Vote {
	if vs == nil {
		return nil
	}
	out := make([]Vote, 0, len(vs))
	for _, v := range vs {
		out = append(out, Vote{By: v.By, Outcome: v.Outcome, Comment: v.Comment, Data: v.Data, At: v.At})
	}
	return out
}

// ListRuns lists runs from the projection, newest first.
func (s *Server) ListRuns(ctx context.Context, me postgres.User, q RunQuery) (RunPage, error) {
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return RunPage{}, err
	}
	switch q.Status {
	case "", workflows.StatusRunning, workflows.StatusCompleted, workflows.StatusFailed, workflows.StatusCancelled:
	default:
		return RunPage{}, invalid("unknown status", FieldError{Field: "status", Message: "must be running, completed, failed or cancelled"})
	}
	runs, err := s.db.ListRuns(ctx, postgres.RunFilter{
		Definition: q.Definition, Status: q.Status, After: q.PageToken, Limit: limit + 1, Viewer: me.ID})
	if err != nil {
		return RunPage{}, err
	}
	out := RunPage{Runs: make([]RunListItem, 0, len(runs))}
	if len(runs) > limit {
		runs = runs[:limit]
		out.NextPageToken = runs[limit-1].ID
	}
	for _, r := range runs {
		item := RunListItem{ID: r.ID, Definition: r.Definition, Version: r.Version, Status: r.Status,
			BusinessKey: r.BusinessKey, Summary: r.Summary, StartedBy: r.StartedBy, StartedAt: r.StartedAt.UTC()}
		if r.CompletedAt != nil {
			t := r.CompletedAt.UTC()
			item.CompletedAt = &t
		}
		out.Runs = append(out.Runs, item)
	}
	return out, nil
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

// CancelRun asks Temporal to cancel a run; the run cancels its open tasks, timers and
// child runs, and records itself cancelled. Admins and the run's starter may cancel.
func (s *Server) CancelRun(ctx context.Context, me postgres.User, req CancelRunRequest) (CancelRunResult, error) {
	if req.Reason == "" {
		return CancelRunResult{}, invalid("reason is required", FieldError{"reason", "is required: say why the run is cancelled"})
	}
	if err := s.seeRun(ctx, me, req.RunID); err != nil {
		return CancelRunResult{}, err
	}
	r, err := s.db.Run(ctx, req.RunID)
	if err != nil {
		return CancelRunResult{}, notFound(err, "run %q", req.RunID)
	}
	if me.Role != roleAdmin && r.StartedBy != me.ID {
		return CancelRunResult{}, problem(http.StatusForbidden, "only admins and the run's starter may cancel it")
	}
	if r.Status != workflows.StatusRunning {
		return CancelRunResult{}, problem(http.StatusConflict, fmt.Sprintf("run %s is %s", r.ID, r.Status))
	}
	// The reason goes first, as a signal the run reads (and passes on to its subprocesses):
	// Temporal's cancellation request carries none that workflow code can see.
	err = s.temporal.SignalWorkflow(ctx, r.ID, "", workflows.SignalCancelReason, workflows.CancelNotice{Reason: req.Reason, By: me.ID})
	if err == nil {
		_, err = s.temporal.WorkflowService().RequestCancelWorkflowExecution(ctx, &workflowservice.RequestCancelWorkflowExecutionRequest{
			Namespace:         s.cfg.Namespace,
			WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: r.ID},
			Identity:          me.ID,
			Reason:            req.Reason,
		})
	}
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return CancelRunResult{}, problem(http.StatusConflict, fmt.Sprintf("run %s has already ended", r.ID))
		}
		return CancelRunResult{}, fmt.Errorf("cancel run %s: %w", r.ID, err)
	}
	return CancelRunResult{ID: r.ID, Status: "cancelling"}, nil
}

// ---- HTTP

func (s *Server) startRun(c echo.Context) error {
	var req StartRunRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	run, err := s.StartRun(c.Request().Context(), caller(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, run)
}

func (s *Server) getRun(c echo.Context) error {
	run, err := s.GetRun(c.Request().Context(), caller(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, run)
}

func (s *Server) listRuns(c echo.Context) error {
	q := RunQuery{Definition: c.QueryParam("definition"), Status: c.QueryParam("status"), PageToken: c.QueryParam("page_token")}
	var err error
	if q.Limit, err = queryLimit(c); err != nil {
		return err
	}
	page, err := s.ListRuns(c.Request().Context(), caller(c), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (s *Server) cancelRun(c echo.Context) error {
	var req CancelRunRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.RunID = c.Param("id")
	res, err := s.CancelRun(c.Request().Context(), caller(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, res)
}
