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

// renderError is a template of an automation step that failed to render. From
// interpreter version 3 it is a step failure like an activity's, handled by on_failure.
type renderError struct{ err error }

func (e *renderError) Error() string { return e.err.Error() }
func (e *renderError) Unwrap() error { return e.err }

// execHTTP runs an http step: the request is rendered, sent with the step's retry
// policy, and the response mapped into step data. A fix-it "edit" replaces the URL or
// body of the next attempt.
func (r *run) execHTTP(ctx workflow.Context, step *definitions.Step) (string, error) {
	var (
		req   *HTTPRequest
		edits httpEdits
	)
	attempt := func(ctx workflow.Context) (string, map[string]any, error) {
		if req == nil {
			built, err := r.httpRequest(step, edits)
			if err != nil {
				return "", nil, &renderError{err}
			}
			req = built
		}
		data, err := r.callHTTP(ctx, step, req)
		return "ok", data, err
	}
	edit := func(data map[string]any) {
		if r.version < 3 {
			applyEdits(req, data)
			return
		}
		edits = edits.with(data)
		req = nil // rendered again, with the edits in place of the templates
	}
	return r.automate(ctx, step, attempt, edit)
}

// execNotify runs a notify step: the message is rendered and sent with the step's retry policy.
func (r *run) execNotify(ctx workflow.Context, step *definitions.Step) (string, error) {
	var req *NotifyRequest
	attempt := func(ctx workflow.Context) (string, map[string]any, error) {
		if req == nil {
			built, err := r.notifyRequest(step)
			if err != nil {
				return "", nil, &renderError{err}
			}
			req = built
		}
		summary := fmt.Sprintf("Send %s notification (%s)", step.Notify.Channel, step.ID)
		actx := r.activityOptions(ctx, step, 30*time.Second, summary)
		return "ok", nil, r.awaitActivity(actx, summary, workflow.ExecuteActivity(actx, ActivityNotify, *req), nil)
	}
	return r.automate(ctx, step, attempt, func(map[string]any) {})
}

// automate runs a step's attempts, each yielding the step's outcome and data. When one
// fails for good (an automation's retries are exhausted; from version 3 also a template
// that does not render, or a subprocess that cannot start or failed) the definition
// decides: a fix-it task (retry, skip with the data later steps read, or edit and retry),
// a jump, or failing the run with a typed error. A run never sits stuck without a task
// for someone.
func (r *run) automate(ctx workflow.Context, step *definitions.Step,
	attempt func(workflow.Context) (string, map[string]any, error), edit func(map[string]any)) (string, error) {
	for {
		outcome, data, err := attempt(ctx)
		if err == nil {
			r.complete(step, outcome, data, ActorSystem)
			return "", nil
		}
		if rerr := (*renderError)(nil); errors.As(err, &rerr) && r.version < 3 {
			return "", r.fail(step, rerr.err)
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
				r.complete(step, "skipped", r.skipData(step, choice.Data), choice.CompletedBy)
				return "", nil
			case FixEdit:
				edit(choice.Data)
			}
			continue
		}
		err = temporal.NewNonRetryableApplicationError(fmt.Sprintf("step %s failed: %s", step.ID, st.Error), ErrTypeStepFailed, nil)
		if r.version >= 3 {
			st.Status = StepFailed // the step's error stays the cause, for people to read
			return "", err
		}
		return "", r.fail(step, err)
	}
}

// httpEdits are what fix-it "edit" choices replaced in an http step's request.
type httpEdits struct {
	url     string
	body    any
	hasBody bool
}

// with adds a fix-it task's edits (validated by checkFixIt).
func (e httpEdits) with(data map[string]any) httpEdits {
	if u, ok := data[fixURL].(string); ok && u != "" {
		e.url = u
	}
	if b, ok := data[fixBody].(string); ok && b != "" {
		var v any
		if json.Unmarshal([]byte(b), &v) == nil {
			e.body, e.hasBody = v, true
		}
	}
	return e
}

// httpRequest renders an http step's request from run data; what edits replace is not rendered.
func (r *run) httpRequest(step *definitions.Step, edits httpEdits) (*HTTPRequest, error) {
	vars := r.vars(nil)
	h := step.HTTP
	req := &HTTPRequest{RunID: r.state.ID, StepID: step.ID, Method: h.Method, SecretHeaders: h.SecretHeaders,
		IdempotencyKey: r.idempotencyKey(step), URL: edits.url, Body: edits.body}
	var err error
	if req.URL == "" {
		if req.URL, err = r.renderTemplate(h.URL, vars); err != nil {
			return nil, fmt.Errorf("render url: %w", err)
		}
	}
	for _, hd := range h.Headers {
		v, err := r.renderTemplate(hd.Value, vars)
		if err != nil {
			return nil, fmt.Errorf("render header %s: %w", hd.Name, err)
		}
		req.Headers = append(req.Headers, definitions.Header{Name: hd.Name, Value: v})
	}
	if !edits.hasBody {
		if req.Body, err = r.renderValue(h.Body, vars); err != nil {
			return nil, fmt.Errorf("render body: %w", err)
		}
	}
	if h.Timeout != nil {
		req.Timeout, _ = h.Timeout.Fixed()
	}
	return req, nil
}

// notifyRequest renders a notify step's message from run data.
func (r *run) notifyRequest(step *definitions.Step) (*NotifyRequest, error) {
	vars := r.vars(nil)
	n := step.Notify
	req := &NotifyRequest{RunID: r.state.ID, StepID: step.ID, Channel: n.Channel,
		URLSecret: n.URLSecret, IdempotencyKey: r.idempotencyKey(step)}
	req.Users, req.Groups, req.ManagerOf = r.resolveRoles(n.To)
	for _, a := range n.Addresses {
		addr, err := r.renderTemplate(a, vars)
		if err != nil {
			return nil, fmt.Errorf("render address %q: %w", a, err)
		}
		req.Addresses = append(req.Addresses, addr)
	}
	var err error
	if req.URL, err = r.renderTemplate(n.URL, vars); err != nil {
		return nil, fmt.Errorf("render url: %w", err)
	}
	if req.Subject, err = r.renderTemplate(n.Subject, vars); err != nil {
		return nil, fmt.Errorf("render subject: %w", err)
	}
	if req.Message, err = r.renderTemplate(n.Message, vars); err != nil {
		return nil, fmt.Errorf("render message: %w", err)
	}
	return req, nil
}

// idempotencyKey is the Idempotency-Key of every attempt of one round of a step.
func (r *run) idempotencyKey(step *definitions.Step) string {
	return fmt.Sprintf("%s/%s/%d", r.state.ID, step.ID, r.stepState(step).Round)
}

func (r *run) renderTemplate(s string, vars definitions.Vars) (string, error) {
	if s == "" {
		return "", nil
	}
	return r.engine.Render(r.prog, s, vars)
}

// renderValue renders every string inside a JSON-like value as a template. From
// version 3 a string that is exactly one expression keeps the expression's JSON type.
func (r *run) renderValue(v any, vars definitions.Vars) (any, error) {
	switch v := v.(type) {
	case string:
		if r.version >= 3 {
			return r.engine.RenderJSON(r.prog, v, vars)
		}
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

// activityOptions are an automation activity's: the step's retry policy, an attempt
// timeout and the summary Temporal Web shows.
func (r *run) activityOptions(ctx workflow.Context, step *definitions.Step, timeout time.Duration, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: timeout + 5*time.Second,
		RetryPolicy:         retryPolicy(step.Retry),
		Summary:             summary,
	})
}

// callHTTP runs ActivityHTTP and maps the response into step data.
func (r *run) callHTTP(ctx workflow.Context, step *definitions.Step, h *HTTPRequest) (map[string]any, error) {
	timeout := 30 * time.Second
	if h.Timeout > 0 {
		timeout = h.Timeout
	}
	summary := fmt.Sprintf("%s %s", h.Method, h.URL)
	actx := r.activityOptions(ctx, step, timeout, summary)
	var res HTTPResponse
	if err := r.awaitActivity(actx, summary, workflow.ExecuteActivity(actx, ActivityHTTP, *h), &res); err != nil {
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

// automationGrace is how long, from version 3, a run stays busy on an automation's
// activity. A call answered within it belongs to the change that led to it: the answer
// to a completion or to the start names the tasks opened after it. A call that takes
// longer (an integration retrying with backoff, or slow) leaves the run at rest while it
// goes on, so that nobody's answer waits on retries. The timer is started whether or not
// anyone awaits an answer: the start's settle Update runs only once the run's first
// coroutine blocks, so a leading call cannot know whether it is awaited (it costs a
// TimerStarted and a TimerCanceled event per automation step).
const automationGrace = 2 * time.Second

// awaitActivity waits for an automation's activity (what names it, for Temporal Web),
// counting the run at rest once automationGrace has passed (version 3).
func (r *run) awaitActivity(ctx workflow.Context, what string, f workflow.Future, valuePtr any) error {
	if r.version < 3 {
		return f.Get(ctx, valuePtr)
	}
	gctx, cancel := workflow.WithCancel(ctx)
	grace := workflow.NewTimerWithOptions(gctx, automationGrace,
		workflow.TimerOptions{Summary: fmt.Sprintf("Answer without waiting if %s takes over %s", what, automationGrace)})
	workflow.NewSelector(ctx).
		AddFuture(f, func(workflow.Future) {}).
		AddFuture(grace, func(workflow.Future) {}).
		Select(ctx)
	if f.IsReady() {
		cancel()
		return f.Get(ctx, valuePtr)
	}
	return r.restOn(ctx, func(ctx workflow.Context) error {
		r.takeSignals(ctx, f.IsReady)
		return f.Get(ctx, valuePtr)
	})
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for _, k := range workflow.DeterministicKeys(m) {
		out[k] = m[k]
	}
	return out
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
