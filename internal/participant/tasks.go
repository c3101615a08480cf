package participant

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/handoffhq/handoff/definitions"
)

// The fix-it task's edit fields and choices (workflows.FixRetry, …).
const (
	fixURL, fixBody            = "url", "body"
	fixRetry, fixSkip, fixEdit = "retry", "skip", "edit"
	kindFixIt                  = "fixit"
)

// work does an open task as one of its real assignees: it claims a group task, takes
// the walk's choice of outcome, fills the form, and completes it (an approval is voted
// on by as many approvers as its policy needs, one vote per pass).
func (w *walk) work(st *runState, t taskView) error {
	prog, err := w.programOf(st.ID)
	if err != nil {
		return err
	}
	step := prog.Step(t.StepID)
	if step == nil {
		return fmt.Errorf("task %s: the definition has no step %s", t.ID, t.StepID)
	}
	actors := w.actors(t, step)
	if len(actors) == 0 {
		return fmt.Errorf("task %s (assignees %v, groups %v): %w", t.ID, t.Assignees, t.CandidateGroups, errNoActor)
	}
	actor := actors[0]
	res, err := w.d.Client.Do(w.ctx, actor, "GET", "/v1/tasks/"+t.ID, nil)
	if err != nil {
		return err
	}
	if res.Status == http.StatusNotFound || res.Status == http.StatusConflict {
		return nil // closed meanwhile: look again
	}
	if res.Status != http.StatusOK {
		return &Error{Method: "GET", Path: "/v1/tasks/" + t.ID, User: actor, Response: res}
	}
	var full taskView
	if err := decode(res.Body, &full); err != nil {
		return fmt.Errorf("decode task %s: %w", t.ID, err)
	}
	if full.Status != "open" {
		return nil
	}
	outcome := w.outcome(prog, step, st, full)
	if full.Kind != string(definitions.KindApproval) && full.ClaimedBy == "" && len(full.CandidateGroups) > 0 && !slices.Contains(full.Assignees, actor) {
		if _, err := w.d.Client.Expect(w.ctx, http.StatusOK, actor, "POST", "/v1/tasks/"+t.ID+"/claim", nil); err != nil {
			return fmt.Errorf("claim: %w", err)
		}
		w.record(Action{Run: st.ID, Step: t.StepID, Task: t.ID, Kind: ActClaim, Actor: actor})
	}
	if full.Kind == kindFixIt && (outcome == fixRetry || outcome == fixEdit) {
		w.mu.Lock()
		w.recovered[st.ID+"/"+t.StepID] = true // the integration is fixed before the retry
		w.mu.Unlock()
	}
	return w.complete(st.ID, full, actor, outcome)
}

// complete sends a completion, replacing the values a validate rule refused with the
// fields' next candidates.
func (w *walk) complete(runID string, t taskView, actor, outcome string) error {
	w.mu.Lock()
	picks := w.picks[t.ID]
	if picks == nil {
		picks = map[string]int{}
		w.picks[t.ID] = picks
	}
	w.mu.Unlock()
	for range 8 {
		data := w.taskData(t, outcome, picks)
		body := map[string]any{"data": data, "outcome": outcome}
		if t.Kind == string(definitions.KindApproval) {
			body["comment"] = fmt.Sprintf("%s by %s (participant driver)", outcome, actor)
		}
		res, err := w.d.Client.Do(w.ctx, actor, "POST", "/v1/tasks/"+t.ID+"/complete", body)
		if err != nil {
			return err
		}
		switch res.Status {
		case http.StatusOK:
			w.record(Action{Run: runID, Step: t.StepID, Task: t.ID, Kind: ActComplete, TaskKind: t.Kind, Actor: actor, Outcome: outcome, Data: data})
			if t.Kind == string(definitions.KindApproval) {
				w.mu.Lock()
				w.voted[t.ID] = append(w.voted[t.ID], actor)
				w.mu.Unlock()
			}
			return nil
		case http.StatusConflict:
			return nil // closed meanwhile (an escalation, another voter): look again
		case http.StatusUnprocessableEntity:
			if !w.nextCandidates(t, res, picks) {
				return &Error{Method: "POST", Path: "/v1/tasks/" + t.ID + "/complete", User: actor, Response: res}
			}
			continue
		}
		return &Error{Method: "POST", Path: "/v1/tasks/" + t.ID + "/complete", User: actor, Response: res}
	}
	return fmt.Errorf("task %s: no values of its form were accepted", t.ID)
}

// nextCandidates moves each field a 422 names to its next candidate; false when none
// can change.
func (w *walk) nextCandidates(t taskView, res Response, picks map[string]int) bool {
	errs, _ := res.Body["errors"].([]any)
	moved := false
	for _, e := range errs {
		m, _ := e.(map[string]any)
		name, _ := m["field"].(string)
		id := strings.TrimPrefix(name, "data.")
		id, _, _ = strings.Cut(id, "[")
		id, _, _ = strings.Cut(id, ".")
		for _, f := range t.Form {
			if f.ID == id && picks[id]+1 < len(w.fill.candidates(f)) {
				picks[id]++
				moved = true
			}
		}
	}
	return moved
}

// taskData is what a completion sends: the filled form; for a fix-it, the values of
// the step's save fields to skip, or a URL to edit.
func (w *walk) taskData(t taskView, outcome string, picks map[string]int) map[string]any {
	if t.Kind != kindFixIt {
		return w.fill.form(t.Form, picks)
	}
	switch outcome {
	case fixSkip:
		var skip []definitions.Field
		for _, f := range t.Form {
			if f.ID != fixURL && f.ID != fixBody {
				skip = append(skip, f)
			}
		}
		return w.fill.form(skip, picks)
	case fixEdit:
		return map[string]any{fixURL: "https://integration.example.com/" + t.StepID}
	}
	return map[string]any{}
}

// outcome is the walk's choice among a task's outcomes: one choice per task, however
// many approvers vote on it.
func (w *walk) outcome(prog *definitions.Program, step *definitions.Step, st *runState, t taskView) string {
	w.mu.Lock()
	o, ok := w.choiceOf[t.ID]
	w.mu.Unlock()
	if ok {
		return o
	}
	options := taskOutcomes(step, t)
	o = options[0]
	if len(options) > 1 {
		s := st.step(t.StepID)
		key := fmt.Sprintf("%s:%s#%d", prog.Key, t.StepID, max(s.Round, 1))
		if t.Kind == kindFixIt {
			key = fmt.Sprintf("%s:%s.fixit#%d.%d", prog.Key, t.StepID, max(s.Round, 1), s.Fixes)
		}
		o = w.choose(key, options)
	}
	w.mu.Lock()
	w.choiceOf[t.ID] = o
	w.mu.Unlock()
	return o
}

// taskOutcomes are the choices a task offers, as GET /v1/tasks/{id} lists them. Until
// that answer lists them (the api branch adds `outcomes`), the definition says.
func taskOutcomes(step *definitions.Step, t taskView) []string {
	var out []string
	for _, o := range t.Outcomes {
		out = append(out, o.Value)
	}
	if len(out) > 0 {
		return out
	}
	switch {
	case t.Kind == kindFixIt && step.Kind == definitions.KindHTTP:
		return []string{fixRetry, fixSkip, fixEdit}
	case t.Kind == kindFixIt:
		return []string{fixRetry, fixSkip}
	case step.Kind == definitions.KindApproval:
		return []string{definitions.OutcomeApproved, definitions.OutcomeRejected}
	case len(step.Outcomes) > 0:
		return step.Outcomes
	}
	return []string{"completed"}
}

// actors are who may work the task, in the order the driver asks them: the claimant,
// the assignees, the members of its groups; for an approval, those who have not voted
// yet (and not the requester where the step excludes them).
func (w *walk) actors(t taskView, step *definitions.Step) []string {
	if t.ClaimedBy != "" {
		return []string{t.ClaimedBy}
	}
	out := slices.Clone(t.Assignees)
	for _, g := range t.CandidateGroups {
		for _, u := range w.d.Users {
			if slices.Contains(u.Groups, g) && !slices.Contains(out, u.ID) {
				out = append(out, u.ID)
			}
		}
	}
	if t.Kind == string(definitions.KindApproval) {
		w.mu.Lock()
		voted := w.voted[t.ID]
		w.mu.Unlock()
		out = slices.DeleteFunc(out, func(u string) bool {
			return slices.Contains(voted, u) || (step.ExcludeRequester && u == w.d.Starter)
		})
	}
	return slices.DeleteFunc(out, func(u string) bool { _, ok := w.d.Client.Keys[u]; return !ok })
}

// endWait ends a wait the run rests at: an event wait gets its event, or (the walk's
// choice, where it has a timeout) times out; a timed wait is expedited.
func (w *walk) endWait(st *runState, s stepView) error {
	prog, err := w.programOf(st.ID)
	if err != nil {
		return err
	}
	step := prog.Step(s.ID)
	if step == nil || step.Wait == nil {
		return fmt.Errorf("run %s waits at %s, which its definition does not have", st.ID, s.ID)
	}
	if e := step.Wait.Event; e != "" {
		options := []string{"delivered"}
		if step.Wait.Timeout != nil {
			options = append(options, "timed_out")
		}
		if w.choose(fmt.Sprintf("%s:%s.event#%d", prog.Key, s.ID, max(s.Round, 1)), options) == "delivered" {
			return w.deliver(st.ID, step)
		}
	}
	res, err := w.d.Client.Do(w.ctx, w.d.Client.Admin, "POST", "/v1/runs/"+st.ID+"/steps/"+s.ID+"/expedite",
		map[string]any{"reason": "the participant driver does not wait for " + s.ID})
	if err != nil {
		return err
	}
	switch res.Status {
	case http.StatusOK:
		w.record(Action{Run: st.ID, Step: s.ID, Kind: ActExpedite, Actor: w.d.Client.Admin})
		return nil
	case http.StatusConflict:
		return nil // the wait ended by itself meanwhile
	}
	return &Error{Method: "POST", Path: "/v1/runs/" + st.ID + "/steps/" + s.ID + "/expedite", User: w.d.Client.Admin, Response: res}
}

// deliver sends a wait's event with valid data for its form, as the run's requester.
func (w *walk) deliver(runID string, step *definitions.Step) error {
	data := w.fill.form(step.Form, nil)
	path := fmt.Sprintf("/v1/runs/%s/events/%s", runID, step.Wait.Event)
	w.mu.Lock()
	key := fmt.Sprintf("%s/%s/%d", runID, step.ID, len(w.actions)) // each delivery a new event
	w.mu.Unlock()
	res, err := w.d.Client.Expect(w.ctx, http.StatusOK, w.d.Starter, "POST", path, map[string]any{"data": data}, "Idempotency-Key", key)
	if err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	if res["duplicate"] == true {
		return fmt.Errorf("deliver %s: the run took it for a duplicate", path)
	}
	w.record(Action{Run: runID, Step: step.ID, Kind: ActEvent, Actor: w.d.Starter, Data: data})
	return nil
}
