package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/definitions"
)

// Fix-it choices offered when an automation has exhausted its retries.
const (
	FixRetry = "retry"
	FixSkip  = "skip"
	FixEdit  = "edit"
)

// HTTPRequest is the input of ActivityHTTP. Templates are already rendered; secrets are
// referenced by name and resolved inside the activity, so they never enter history.
type HTTPRequest struct {
	RunID          string               `json:"run_id"`
	StepID         string               `json:"step_id"`
	Method         string               `json:"method"`
	URL            string               `json:"url"`
	Headers        []definitions.Header `json:"headers,omitempty"`
	SecretHeaders  []definitions.Header `json:"secret_headers,omitempty"`
	Body           any                  `json:"body,omitempty"`
	Timeout        time.Duration        `json:"timeout,omitempty"`
	IdempotencyKey string               `json:"idempotency_key"`
}

// HTTPResponse is what an integration answered.
type HTTPResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
}

// NotifyRequest is the input of ActivityNotify: a notify step's message, rendered.
type NotifyRequest struct {
	RunID          string   `json:"run_id"`
	StepID         string   `json:"step_id"`
	Channel        string   `json:"channel"`
	Users          []string `json:"users,omitempty"`
	Groups         []string `json:"groups,omitempty"`
	ManagerOf      []string `json:"manager_of,omitempty"`
	Addresses      []string `json:"addresses,omitempty"`
	URL            string   `json:"url,omitempty"`
	URLSecret      string   `json:"url_secret,omitempty"`
	Subject        string   `json:"subject,omitempty"`
	Message        string   `json:"message"`
	IdempotencyKey string   `json:"idempotency_key"`
}

// fixItForm is the form of a fix-it task: edits for "edit", step data for "skip".
var fixItForm = []definitions.Field{
	{ID: "url", Label: "Corrected URL (edit)", Type: definitions.TypeURL},
	{ID: "body", Label: "Corrected JSON body (edit)", Type: definitions.TypeLongText},
	{ID: "data", Label: "Step data as a JSON object (skip)", Type: definitions.TypeLongText},
}

// execAutomation runs an http or notify step. When its retries are exhausted the
// definition decides: a fix-it task (retry, skip with data, or edit and retry), a jump,
// or failing the run with a typed error. A run never sits stuck without a task for someone.
func (r *run) execAutomation(ctx workflow.Context, step *definitions.Step) (string, error) {
	httpReq, notifyReq, err := r.buildRequest(step)
	if err != nil {
		return "", r.fail(step, err)
	}
	for {
		data, err := r.callAutomation(ctx, step, httpReq, notifyReq)
		if err == nil {
			r.complete(step, "ok", data, ActorSystem)
			return "", nil
		}
		if temporal.IsCanceledError(err) {
			return "", r.cancelled(step, err)
		}
		st := r.stepState(step)
		st.Error = rootMessage(err)
		onFailure := step.OnFailure
		if onFailure == nil {
			onFailure = &definitions.OnFailure{Action: definitions.FailureFail}
		}
		switch onFailure.Action {
		case definitions.FailureGoto:
			r.complete(step, "failed", map[string]any{"error": st.Error}, ActorSystem)
			st.Status = StepFailed
			return onFailure.Goto, nil
		case definitions.FailureFix:
			choice, err := r.fixIt(ctx, step, st.Error)
			if err != nil {
				return "", err
			}
			r.note(JournalFixIt, step.ID, choice.ID, choice.CompletedBy, map[string]any{"choice": choice.Outcome, "error": st.Error})
			switch choice.Outcome {
			case FixSkip:
				data, _ := parseJSONObject(choice.Data["data"])
				r.complete(step, "skipped", data, choice.CompletedBy)
				return "", nil
			case FixEdit:
				applyEdits(httpReq, choice.Data)
			}
			continue
		}
		return "", r.fail(step, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("step %s failed after its retries: %s", step.ID, st.Error), ErrTypeStepFailed, nil))
	}
}

// buildRequest renders an http or notify step's request from run data.
func (r *run) buildRequest(step *definitions.Step) (*HTTPRequest, *NotifyRequest, error) {
	vars := r.vars(nil)
	render := func(s string) (string, error) {
		if s == "" {
			return "", nil
		}
		return r.engine.Render(r.prog, s, vars)
	}
	key := fmt.Sprintf("%s/%s/%d", r.state.ID, step.ID, r.stepState(step).Round)
	if h := step.HTTP; h != nil {
		req := &HTTPRequest{RunID: r.state.ID, StepID: step.ID, Method: h.Method, SecretHeaders: h.SecretHeaders,
			IdempotencyKey: key}
		var err error
		if req.URL, err = render(h.URL); err != nil {
			return nil, nil, fmt.Errorf("render url: %w", err)
		}
		for _, hd := range h.Headers {
			v, err := render(hd.Value)
			if err != nil {
				return nil, nil, fmt.Errorf("render header %s: %w", hd.Name, err)
			}
			req.Headers = append(req.Headers, definitions.Header{Name: hd.Name, Value: v})
		}
		if req.Body, err = r.renderValue(h.Body, vars); err != nil {
			return nil, nil, fmt.Errorf("render body: %w", err)
		}
		if h.Timeout != nil {
			req.Timeout, _ = h.Timeout.Fixed()
		}
		return req, nil, nil
	}
	n := step.Notify
	req := &NotifyRequest{RunID: r.state.ID, StepID: step.ID, Channel: n.Channel,
		URLSecret: n.URLSecret, IdempotencyKey: key}
	req.Users, req.Groups, req.ManagerOf = r.resolveRoles(n.To)
	for _, a := range n.Addresses {
		addr, err := render(a)
		if err != nil {
			return nil, nil, fmt.Errorf("render address %q: %w", a, err)
		}
		req.Addresses = append(req.Addresses, addr)
	}
	var err error
	if req.URL, err = render(n.URL); err != nil {
		return nil, nil, fmt.Errorf("render url: %w", err)
	}
	if req.Subject, err = render(n.Subject); err != nil {
		return nil, nil, fmt.Errorf("render subject: %w", err)
	}
	if req.Message, err = render(n.Message); err != nil {
		return nil, nil, fmt.Errorf("render message: %w", err)
	}
	return nil, req, nil
}

// renderValue renders every string inside a JSON-like value as a template.
func (r *run) renderValue(v any, vars definitions.Vars) (any, error) {
	switch v := v.(type) {
	case string:
		return r.engine.Render(r.prog, v, vars)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			var err error
			if out[i], err = r.renderValue(e, vars); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for _, k := range workflow.DeterministicKeys(v) {
			var err error
			if out[k], err = r.renderValue(v[k], vars); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}

// callAutomation runs the step's activity with its retry policy and maps an HTTP
// response into step data.
func (r *run) callAutomation(ctx workflow.Context, step *definitions.Step, h *HTTPRequest, n *NotifyRequest) (map[string]any, error) {
	timeout := 30 * time.Second
	if h != nil && h.Timeout > 0 {
		timeout = h.Timeout
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: timeout + 5*time.Second,
		RetryPolicy:         retryPolicy(step.Retry),
		Summary:             automationSummary(step, h),
	})
	if n != nil {
		return nil, workflow.ExecuteActivity(actx, ActivityNotify, *n).Get(actx, nil)
	}
	var res HTTPResponse
	if err := workflow.ExecuteActivity(actx, ActivityHTTP, *h).Get(actx, &res); err != nil {
		return nil, err
	}
	data := map[string]any{"status": float64(res.Status)}
	if len(step.HTTP.Save) > 0 {
		vars := r.vars(nil)
		vars.Response = map[string]any{"status": float64(res.Status), "headers": stringMap(res.Headers), "body": res.Body}
		for _, a := range step.HTTP.Save {
			v, err := r.engine.Eval(r.prog, a.Expr, vars)
			if err != nil {
				return nil, temporal.NewNonRetryableApplicationError(
					fmt.Sprintf("map response field %s: %v", a.Name, err), ErrTypeStepFailed, nil)
			}
			data[a.Name] = v
		}
	}
	return data, nil
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for _, k := range workflow.DeterministicKeys(m) {
		out[k] = m[k]
	}
	return out
}

func automationSummary(step *definitions.Step, h *HTTPRequest) string {
	if h != nil {
		return fmt.Sprintf("%s %s", h.Method, h.URL)
	}
	return fmt.Sprintf("Send %s notification (%s)", step.Notify.Channel, step.ID)
}

// retryPolicy maps a definition's retry settings (defaults: 3 attempts, 10 s, doubling,
// at most 10 minutes apart). Permanent errors (4xx other than 408 and 429) are marked
// non-retryable by the activity.
func retryPolicy(rt *definitions.Retry) *temporal.RetryPolicy {
	p := &temporal.RetryPolicy{MaximumAttempts: 3, InitialInterval: 10 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute}
	if rt == nil {
		return p
	}
	if rt.Attempts > 0 {
		p.MaximumAttempts = int32(rt.Attempts)
	}
	if rt.Interval != nil {
		if d, ok := rt.Interval.Fixed(); ok {
			p.InitialInterval = d
		}
	}
	if rt.Backoff >= 1 {
		p.BackoffCoefficient = rt.Backoff
	}
	if rt.MaxInterval != nil {
		if d, ok := rt.MaxInterval.Fixed(); ok {
			p.MaximumInterval = d
		}
	}
	return p
}

// fixIt opens a fix-it task for the failure's assignee, showing the error, and waits for
// the choice.
func (r *run) fixIt(ctx workflow.Context, step *definitions.Step, errMsg string) (*Task, error) {
	st := r.stepState(step)
	st.Fixes++
	fix := *step
	fix.Kind = definitions.KindTask
	fix.Assignee = step.OnFailure.Assignee
	fix.Form = fixItForm
	fix.Due, fix.Reminders, fix.Escalations = nil, nil, nil
	title := r.render(step.Title, step.ID)
	fix.Title = "Fix: " + title
	desc := fmt.Sprintf("The %s step %q failed after its retries:\n\n%s\n\nChoose retry, skip (with step data) or edit (a corrected URL or body) and retry.",
		step.Kind, title, errMsg)
	task, err := r.openHumanTask(ctx, &fix, KindFixIt, desc)
	if err != nil {
		return nil, r.fail(step, err)
	}
	return r.awaitTask(ctx, task.ID, step, false)
}

// applyEdits changes a request as a fix-it task asked.
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

// rootMessage is the innermost message of an activity failure, for people to read:
// the application error's own message, without Temporal's type and retry annotations.
func rootMessage(err error) string {
	var appErr *temporal.ApplicationError
	msg := err.Error()
	for e := err; e != nil; e = errors.Unwrap(e) {
		if errors.As(e, &appErr) {
			msg = appErr.Message()
		}
	}
	return msg
}
