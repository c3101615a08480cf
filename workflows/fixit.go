package workflows

import (
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
)

// A fix-it task opens when an automation fails for good (its retries exhausted, or, from
// version 3, a template that does not render). Its outcomes are the choices: retry;
// skip, giving by hand what the step would have saved, so that later steps can read it;
// edit (http steps), retrying with a corrected URL or JSON body.

// The edit fields of an http step's fix-it form.
const (
	fixURL  = "url"
	fixBody = "body"
)

// fixItFormV2 is the fix-it form of interpreter versions 1 and 2: edits for "edit",
// step data as a JSON text for "skip".
var fixItFormV2 = []definitions.Field{
	{ID: "url", Label: "Corrected URL (edit)", Type: definitions.TypeURL},
	{ID: "body", Label: "Corrected JSON body (edit)", Type: definitions.TypeLongText},
	{ID: "data", Label: "Step data as a JSON object (skip)", Type: definitions.TypeLongText},
}

// fixIt opens a fix-it task for the failure's assignee, showing the error, and waits for
// the choice.
func (r *run) fixIt(ctx workflow.Context, step *definitions.Step, errMsg string) (*Task, error) {
	st := r.stepState(step)
	st.Fixes++
	fix := *step
	fix.Kind = definitions.KindTask
	fix.Assignee = step.OnFailure.Assignee
	fix.Due, fix.Reminders, fix.Escalations = nil, nil, nil
	title := r.render(step.Title, step.ID)
	fix.Title = "Fix: " + title
	var desc string
	if r.version >= 3 {
		fix.Form, fix.Outcomes = r.fixItForm(step), fixItOutcomes(step)
		desc = fmt.Sprintf("The %s step %q failed:\n\n%s", step.Kind, title, errMsg)
	} else {
		fix.Form = fixItFormV2
		desc = fmt.Sprintf("The %s step %q failed after its retries:\n\n%s\n\nChoose retry, skip (with step data) or edit (a corrected URL or body) and retry.",
			step.Kind, title, errMsg)
	}
	task, err := r.openHumanTask(ctx, &fix, KindFixIt, desc)
	if err != nil {
		return nil, r.fail(step, err)
	}
	return r.awaitTask(ctx, task.ID, step, false)
}

// fixItOutcomes are the choices of a step's fix-it task.
func fixItOutcomes(step *definitions.Step) []string {
	if step.Kind == definitions.KindHTTP {
		return []string{FixRetry, FixSkip, FixEdit}
	}
	return []string{FixRetry, FixSkip}
}

// fixItForm is a fix-it task's form (version 3): for "skip", one field per value the
// step saves, typed by its expression; for "edit" (http steps), the URL and the body.
func (r *run) fixItForm(step *definitions.Step) []definitions.Field {
	form := []definitions.Field{}
	if step.Kind != definitions.KindHTTP {
		return form
	}
	for _, f := range r.engine.SaveFields(r.prog, step) {
		name := f.ID
		f.ID = skipFieldID(name)
		f.Help = fmt.Sprintf("To skip: what later steps read as steps.%s.data.%s", step.ID, name)
		form = append(form, f)
	}
	return append(form,
		definitions.Field{ID: fixURL, Label: "Corrected URL", Type: definitions.TypeURL,
			Help: "To edit: the URL of the next attempt (empty keeps the step's)"},
		definitions.Field{ID: fixBody, Label: "Corrected body", Type: definitions.TypeLongText,
			Help: "To edit: the JSON body of the next attempt (empty keeps the step's)"})
}

// skipFieldID is the fix-it field of a saved value: its name, unless that is one of
// the edit fields'.
func skipFieldID(name string) string {
	if name == fixURL || name == fixBody {
		return "save_" + name
	}
	return name
}

// skipData is the step data a fix-it "skip" gives the step.
func (r *run) skipData(step *definitions.Step, data map[string]any) map[string]any {
	if r.version < 3 {
		m, _ := parseJSONObject(data["data"])
		return m
	}
	out := map[string]any{}
	if step.HTTP != nil {
		for _, a := range step.HTTP.Save {
			if v, ok := data[skipFieldID(a.Name)]; ok {
				out[a.Name] = v
			}
		}
	}
	return out
}

// checkFixIt checks what a fix-it choice needs beyond its form (version 3): a skip
// gives every value later steps read; an edit gives a URL or a body, and a body is JSON.
func (r *run) checkFixIt(t *Task, outcome string, data map[string]any) []definitions.FieldError {
	step := r.prog.Step(t.StepID)
	if step == nil {
		return nil
	}
	var errs []definitions.FieldError
	switch outcome {
	case FixSkip:
		if step.HTTP == nil {
			return nil
		}
		for _, a := range step.HTTP.Save {
			if v, ok := data[skipFieldID(a.Name)]; !ok || v == nil || v == "" {
				errs = append(errs, definitions.FieldError{Field: skipFieldID(a.Name),
					Message: fmt.Sprintf("is required to skip: later steps read it as steps.%s.data.%s", step.ID, a.Name)})
			}
		}
	case FixEdit:
		url, _ := data[fixURL].(string)
		body, _ := data[fixBody].(string)
		if url == "" && body == "" {
			errs = append(errs, definitions.FieldError{Field: fixURL, Message: "an edit needs a corrected url or body"})
		}
		if body != "" && !json.Valid([]byte(body)) {
			errs = append(errs, definitions.FieldError{Field: fixBody, Message: "is not valid JSON"})
		}
	}
	return errs
}

// applyEdits changes a request as a fix-it task asked (versions 1 and 2).
func applyEdits(h *HTTPRequest, data map[string]any) {
	if h == nil {
		return
	}
	if u, ok := data["url"].(string); ok && u != "" {
		h.URL = u
	}
	if b, ok := data["body"].(string); ok && b != "" {
		var v any
		if json.Unmarshal([]byte(b), &v) == nil {
			h.Body = v
		}
	}
}

func parseJSONObject(v any) (map[string]any, bool) {
	s, ok := v.(string)
	if !ok || s == "" {
		return map[string]any{}, false
	}
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) != nil {
		return map[string]any{}, false
	}
	return m, true
}
