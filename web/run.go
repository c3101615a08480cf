package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/audit"
	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/workflows"
)

// runView is the run page's data.
type runView struct {
	Run       api.Run
	Checklist []checkItem
	Audit     []audit.Event
	// MayCancel: the person may cancel it (its starter, an admin) and it is running.
	MayCancel bool
	// TemporalURL is the run in Temporal Web; "" when not configured.
	TemporalURL string
	Error       string
	// Diagram is the flow of the run's version with each step's state (diagram.go).
	Diagram template.HTML
}

// checkItem is one step of the run's checklist.
type checkItem struct {
	ID, Title, Kind string
	// State is done, open, waiting, skipped, failed, cancelled or "not reached".
	State string
	Depth int // 1 inside a parallel branch
	Step  *api.Step
	Tasks []api.Task // its open tasks
}

// runPage shows a run as a checklist of every step of its definition with its state,
// who did what when, comments, votes, open tasks with their due times and choices,
// the audit timeline, cancel (for who may) and the link to Temporal Web. Whoever may
// not see the run is answered as if it did not exist (GetRun's rule).
func (s *Server) runPage(c echo.Context) error {
	return s.renderRun(c, http.StatusOK, "")
}

func (s *Server) renderRun(c echo.Context, status int, refusal string) error {
	ctx := c.Request().Context()
	me := user(c)
	run, err := s.api.GetRun(ctx, me, c.Param("id"))
	if err != nil {
		return err
	}
	events, err := s.api.RunAudit(ctx, me, run.ID)
	if err != nil {
		return err
	}
	v := runView{Run: run, Audit: events, Error: refusal,
		MayCancel: run.Status == workflows.StatusRunning && (me.Role == "admin" || run.StartedBy == me.ID)}
	if base := s.cfg.TemporalWebURL; base != "" {
		v.TemporalURL = base + "/namespaces/" + url.PathEscape(run.Temporal.Namespace) + "/workflows/" + url.PathEscape(run.Temporal.WorkflowID)
	}
	d, err := s.api.GetDefinition(ctx, me, run.Definition, run.Version)
	if err != nil {
		return err
	}
	prog, err := definitions.Compile([]byte(d.Source))
	if err != nil {
		return err
	}
	v.Checklist = checklist(prog.Steps, run, 0)
	v.Diagram = flowDiagram(prog, diagramStates(v.Checklist), "run-flow")
	return s.render(c, status, "run", "", view{Title: or(run.Summary, run.ID), Page: v})
}

// checklist lists steps (and their parallel branches' steps) with the run's state of
// each: the latest round the run reached, or "not reached".
func checklist(steps []definitions.Step, run api.Run, depth int) []checkItem {
	var out []checkItem
	for _, st := range steps {
		it := checkItem{ID: st.ID, Title: st.Title, Kind: string(st.Kind), State: "not reached", Depth: depth}
		if strings.Contains(it.Title, "{{") || it.Title == "" {
			it.Title = capital(strings.NewReplacer("_", " ", "-", " ").Replace(st.ID)) // a template shows once rendered
		}
		for i := range run.Steps {
			if run.Steps[i].ID == st.ID {
				it.Step = &run.Steps[i]
			}
		}
		for _, t := range run.OpenTasks {
			if t.StepID == st.ID {
				it.Tasks = append(it.Tasks, t)
				it.Title = t.Title
			}
		}
		if it.Step != nil {
			it.State = stepState(it.Step.Status, len(it.Tasks) > 0)
		}
		out = append(out, it)
		for _, b := range st.Branches {
			out = append(out, checklist(b.Steps, run, depth+1)...)
		}
	}
	return out
}

// stepState is the checklist's word for a step's status.
// diagramStates are the checklist's states as the run's diagram marks them: a step
// with open tasks is the current one; steps not reached are left out.
func diagramStates(items []checkItem) map[string]string {
	out := make(map[string]string, len(items))
	for _, it := range items {
		switch it.State {
		case "done":
			out[it.ID] = stateDone
		case "open":
			out[it.ID] = stateCurrent
		case "waiting":
			out[it.ID] = stateWaiting
		case "skipped":
			out[it.ID] = stateSkipped
		case "failed":
			out[it.ID] = stateFailed
		case "cancelled":
			out[it.ID] = "cancelled"
		}
	}
	return out
}

func stepState(status string, openTasks bool) string {
	switch status {
	case workflows.StepCompleted:
		return "done"
	case workflows.StepActive:
		if openTasks {
			return "open"
		}
		return "waiting"
	case workflows.StepPending:
		return "waiting"
	}
	return status // skipped, failed, cancelled
}

// cancelRun cancels the run with the reason given (CancelRun) and shows it again.
func (s *Server) cancelRun(c echo.Context) error {
	id := c.Param("id")
	_, err := s.api.CancelRun(c.Request().Context(), user(c), api.CancelRunRequest{RunID: id, Reason: strings.TrimSpace(c.FormValue("reason"))})
	var p *api.Problem
	if errors.As(err, &p) && p.Status == http.StatusUnprocessableEntity {
		return s.renderRun(c, p.Status, "Say why the run is cancelled.")
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/runs/"+url.PathEscape(id))
}

// auditNotes are the words of an audit event a person reads in the timeline: its
// assignees, outcome, whom it went to, comment, reason and error, where it has them.
func auditNotes(d map[string]any) []string {
	var out []string
	for _, k := range []string{"assignees", "outcome", "to", "comment", "reason", "error"} {
		if v, ok := d[k]; ok && v != nil && v != "" {
			out = append(out, k+": "+show(v))
		}
	}
	return out
}
