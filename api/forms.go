package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// FormField is one field of a form as the API shows it: a task's form, a definition's
// start form. It has the shape of the language's field (definitions.Field).
type FormField struct {
	ID       string   `json:"id"`
	Label    string   `json:"label,omitempty"`
	Type     string   `json:"type"`
	Help     string   `json:"help,omitempty"`
	Required bool     `json:"required,omitempty"`
	Default  any      `json:"default,omitempty"`
	Min      *float64 `json:"min,omitempty"`
	Max      *float64 `json:"max,omitempty"`
	Pattern  string   `json:"pattern,omitempty"`
	// Options are the choices of a select or multi_select.
	Options     []FormOption `json:"options,omitempty"`
	VisibleWhen string       `json:"visible_when,omitempty"`
	Validate    []FormRule   `json:"validate,omitempty"`
	// Fields are a table's columns.
	Fields []FormField `json:"fields,omitempty"`
	// Visible is set where a form is resolved (an open task's, a resolved form): whether
	// the field shows for the values given so far.
	Visible *bool `json:"visible,omitempty"`
}

// FormOption is one choice of a select or multi_select.
type FormOption struct {
	Value string `json:"value"`
	Label string `json:"label,omitempty"`
}

// FormRule is a condition a field's value must meet, with the message shown when not.
type FormRule struct {
	Expr    string `json:"expr"`
	Message string `json:"message"`
}

// Outcome is one choice that completes a task: its value (what a completion sends as
// outcome) and a label for a button.
type Outcome struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Approval is an open approval's policy and its votes so far.
type Approval struct {
	// Policy is any (one approval decides), all (every approver) or quorum.
	Policy string `json:"policy"`
	// VotesNeeded is how many approvals approve it; a rejection that leaves too few
	// approvers to reach it rejects it.
	VotesNeeded int    `json:"votes_needed"`
	Votes       []Vote `json:"votes"`
}

// ResolvedForm is a form resolved against the values filled in so far, by the same code
// that validates a submission: which fields show, and what a submission would be
// refused for.
type ResolvedForm struct {
	// Fields are the form's fields, each saying whether it shows (Visible).
	Fields []FormField `json:"fields"`
	// Hidden lists every hidden field by the name errors use, table cells included
	// ("data.items[0].qty").
	Hidden []string `json:"hidden"`
	// Errors is every problem a submission of these values would be refused for, named
	// as in the submission ("data.amount", "inputs.email").
	Errors []FieldError `json:"errors"`
	// Valid is true when there are no errors.
	Valid bool `json:"valid"`
}

// ResolveTaskFormRequest asks how an open task's form stands with draft values.
type ResolveTaskFormRequest struct {
	TaskID string         `json:"-"`
	Data   map[string]any `json:"data"`
}

// ResolveStartFormRequest asks how a definition's start form stands with draft values.
type ResolveStartFormRequest struct {
	Definition string `json:"-"`
	// Version is the definition version; 0 means the latest.
	Version int            `json:"version,omitempty"`
	Inputs  map[string]any `json:"inputs"`
}

// ResolveTaskForm resolves an open task's form against draft data without completing
// it, for the run's current data: what GetTask shows of the form once these values are
// typed, and the errors CompleteTask would answer with.
func (s *Server) ResolveTaskForm(ctx context.Context, me postgres.User, req ResolveTaskFormRequest) (ResolvedForm, error) {
	if err := checkPayload("data", req.Data); err != nil {
		return ResolvedForm{}, err
	}
	t, err := s.task(ctx, me, req.TaskID)
	if err != nil {
		return ResolvedForm{}, err
	}
	if !mayWorkOn(me, t) {
		return ResolvedForm{}, problem(http.StatusForbidden, "you are not assigned to this task")
	}
	if t.Status != workflows.TaskOpen {
		return ResolvedForm{}, problem(http.StatusConflict, fmt.Sprintf("task %s is %s", t.ID, t.Status))
	}
	open, err := s.openTask(ctx, t)
	if err != nil {
		return ResolvedForm{}, err
	}
	return open.resolve(s.engine, req.Data), nil
}

// ResolveStartForm resolves a definition's start form against draft inputs: what
// StartRun would refuse them for, and which fields show.
func (s *Server) ResolveStartForm(ctx context.Context, me postgres.User, req ResolveStartFormRequest) (ResolvedForm, error) {
	if req.Version < 0 {
		return ResolvedForm{}, invalid("version must be positive", FieldError{Field: "version", Message: "must be 1 or more"})
	}
	var (
		d   postgres.Definition
		err error
	)
	if req.Version == 0 {
		d, err = s.db.LatestDefinition(ctx, req.Definition)
		err = notFound(err, "definition %q", req.Definition)
	} else {
		d, err = s.definitionFor(ctx, req.Definition, req.Version)
	}
	if err != nil {
		return ResolvedForm{}, err
	}
	prog, err := program(d)
	if err != nil {
		return ResolvedForm{}, err
	}
	inputs := req.Inputs
	if inputs == nil {
		inputs = map[string]any{}
	}
	if err := checkPayload("inputs", inputs); err != nil {
		return ResolvedForm{}, err
	}
	vars := startVars(prog, d.Version, "", me.ID, inputs)
	return resolveForm(s.engine, prog, prog.Inputs, inputs, vars, "inputs."), nil
}

// startVars is what CEL sees of a run about to start with raw inputs.
func startVars(prog *definitions.Program, version int, id, who string, raw map[string]any) definitions.Vars {
	now := time.Now().UTC()
	return definitions.Vars{Inputs: raw, Form: raw, Now: now,
		Run: definitions.RunVars{ID: id, StartedBy: who, Definition: prog.Key, Version: version, StartedAt: now}}
}

// resolveForm resolves fields with the definitions' form validation; prefix names the
// request member the values come in ("data.", "inputs.").
func resolveForm(e *definitions.Engine, prog *definitions.Program, fields []definitions.Field, data map[string]any,
	vars definitions.Vars, prefix string) ResolvedForm {
	if data == nil {
		data = map[string]any{}
	}
	st := e.ResolveForm(prog, fields, data, vars)
	out := ResolvedForm{Fields: make([]FormField, 0, len(fields)), Hidden: make([]string, 0, len(st.Hidden)),
		Errors: fieldErrors(prefix, st.Errors), Valid: len(st.Errors) == 0}
	hidden := make(map[string]bool, len(st.Hidden))
	for _, h := range st.Hidden {
		hidden[h] = true
		out.Hidden = append(out.Hidden, prefix+h)
	}
	for _, f := range fields {
		ff := formField(f)
		visible := !hidden[f.ID]
		ff.Visible = &visible
		out.Fields = append(out.Fields, ff)
	}
	return out
}

// openTaskForm is what resolving an open task's form takes: the run's program and state,
// and the task as the run holds it (nil when the run no longer holds it open).
type openTaskForm struct {
	prog  *definitions.Program
	state workflows.RunState
	task  *workflows.Task
	form  []definitions.Field
}

// openTask asks the run for its state and loads its program.
func (s *Server) openTask(ctx context.Context, t postgres.Task) (openTaskForm, error) {
	state, err := s.runState(ctx, t.RunID)
	if err != nil {
		return openTaskForm{}, err
	}
	d, err := s.db.DefinitionVersion(ctx, state.Definition, state.Version)
	if err != nil {
		return openTaskForm{}, fmt.Errorf("load definition of run %s: %w", t.RunID, err)
	}
	out := openTaskForm{state: state}
	if out.prog, err = program(d); err != nil {
		return out, err
	}
	for i := range state.OpenTasks {
		if state.OpenTasks[i].ID == t.ID {
			out.task = &state.OpenTasks[i]
			out.form = out.task.Form
		}
	}
	if out.task == nil && len(t.Form) > 0 {
		if err := json.Unmarshal(t.Form, &out.form); err != nil {
			return out, fmt.Errorf("decode form of task %s: %w", t.ID, err)
		}
	}
	return out, nil
}

func (o openTaskForm) resolve(e *definitions.Engine, data map[string]any) ResolvedForm {
	return resolveForm(e, o.prog, o.form, data, o.state.Vars(time.Now().UTC(), nil), "data.")
}

func formField(f definitions.Field) FormField {
	ff := FormField{ID: f.ID, Label: f.Label, Type: f.Type, Help: f.Help, Required: f.Required, Default: f.Default,
		Min: f.Min, Max: f.Max, Pattern: f.Pattern, VisibleWhen: f.VisibleWhen}
	for _, o := range f.Options {
		ff.Options = append(ff.Options, FormOption{Value: o.Value, Label: o.Label})
	}
	for _, r := range f.Validate {
		ff.Validate = append(ff.Validate, FormRule{Expr: r.Expr, Message: r.Message})
	}
	if len(f.Fields) > 0 {
		ff.Fields = formFields(f.Fields)
	}
	return ff
}

// FormFields is the language's form fields as the API answers them (for the web app's
// form previews); never nil.
func FormFields(fs []definitions.Field) []FormField { return formFields(fs) }

// formFields converts the language's form fields; never nil.
func formFields(fs []definitions.Field) []FormField {
	out := make([]FormField, 0, len(fs))
	for _, f := range fs {
		out = append(out, formField(f))
	}
	return out
}

// taskChoices are an open task's outcomes and, for an approval, its policy and votes.
func taskChoices(t workflows.Task) ([]Outcome, *Approval) {
	outcomes := make([]Outcome, 0, len(t.Outcomes))
	for _, o := range t.Outcomes {
		outcomes = append(outcomes, Outcome{Value: o, Label: outcomeLabel(o)})
	}
	if t.Kind != string(definitions.KindApproval) {
		return outcomes, nil
	}
	a := &Approval{Policy: t.Policy, VotesNeeded: t.RequiredVotes, Votes: votes(t.Votes)}
	if a.Votes == nil {
		a.Votes = []Vote{}
	}
	return outcomes, a
}

// outcomeLabels label the outcomes the language and the run name themselves.
var outcomeLabels = map[string]string{
	definitions.OutcomeApproved: "Approve",
	definitions.OutcomeRejected: "Reject",
	workflows.OutcomeCompleted:  "Complete",
	workflows.FixRetry:          "Retry",
	workflows.FixSkip:           "Skip",
	workflows.FixEdit:           "Edit and retry",
}

// outcomeLabel labels an outcome: a known one as above, a definition's own as its
// words ("needs_info" is "Needs info").
func outcomeLabel(o string) string {
	if l, ok := outcomeLabels[o]; ok {
		return l
	}
	words := strings.Join(strings.FieldsFunc(o, func(r rune) bool { return r == '_' || r == '-' }), " ")
	if words == "" {
		return o
	}
	r, n := utf8.DecodeRuneInString(words)
	return string(unicode.ToUpper(r)) + words[n:]
}

// ---- HTTP

func (s *Server) resolveTaskForm(c echo.Context) error {
	var req ResolveTaskFormRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.TaskID = c.Param("id")
	res, err := s.ResolveTaskForm(c.Request().Context(), caller(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (s *Server) resolveStartForm(c echo.Context) error {
	var req ResolveStartFormRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.Definition = c.Param("key")
	res, err := s.ResolveStartForm(c.Request().Context(), caller(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
