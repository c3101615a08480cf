package participant

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"
)

// auditEvent is one event of GET /v1/runs/{id}/audit.
type auditEvent struct {
	At     string         `json:"at"`
	Actor  string         `json:"actor"`
	Kind   string         `json:"kind"`
	Step   string         `json:"step"`
	Task   string         `json:"task"`
	Detail map[string]any `json:"detail"`
}

// Check verifies that a finished walk left a true record, run by run (the walk's run
// and its subprocesses): the audit trail begins with the run's start by its requester,
// names each completion, vote, claim, expedite and event the driver made, by whom and
// with which outcome, and ends as the run ended; the evidence carries the same audit
// trail, the hash of the published definition version and a history digest; and the
// subscription received the run's start, a task.completed for each task the driver
// closed, and the run's end. Every problem found is reported.
func (d *Driver) Check(ctx context.Context, w *Walk) error {
	var problems []string
	for _, run := range w.Runs {
		for _, p := range d.checkRun(ctx, w, run) {
			problems = append(problems, run+": "+p)
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

func (d *Driver) checkRun(ctx context.Context, w *Walk, runID string) []string {
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	admin := d.Client.Admin
	st, err := d.Client.Expect(ctx, http.StatusOK, admin, "GET", "/v1/runs/"+runID, nil)
	if err != nil {
		return []string{err.Error()}
	}
	status, _ := st["status"].(string)
	body, err := d.Client.Expect(ctx, http.StatusOK, admin, "GET", "/v1/runs/"+runID+"/audit", nil)
	if err != nil {
		return []string{err.Error()}
	}
	var events []auditEvent
	if err := decode(body["events"], &events); err != nil {
		return []string{"decode the audit trail: " + err.Error()}
	}
	var acts []Action
	for _, a := range w.Actions {
		if a.Run == runID {
			acts = append(acts, a)
		}
	}

	// The trail: start, what the driver did, end.
	if len(events) == 0 || events[0].Kind != "run.started" || events[0].Actor != d.Starter {
		fail("the audit trail does not begin with run.started by %s", d.Starter)
	}
	wantEnd := map[string]string{"completed": "run.completed", "failed": "run.failed", "cancelled": "run.cancelled"}[status]
	if last := lastOf(events, func(e auditEvent) bool { return !strings.HasPrefix(e.Kind, "timer.") }); last == nil || last.Kind != wantEnd {
		fail("the audit trail does not end with %s (the run is %s)", wantEnd, status)
	} else if wantEnd == "run.completed" && last.Detail["outcome"] != st["outcome"] {
		fail("run.completed says outcome %v, the run %v", last.Detail["outcome"], st["outcome"])
	}
	used := make([]bool, len(events))
	for _, a := range acts {
		kind := map[string]string{ActClaim: "task.claimed", ActExpedite: "wait.expedited", ActEvent: "event.received", ActComplete: "task.completed"}[a.Kind]
		if a.Kind == ActComplete && a.TaskKind == "approval" {
			kind = "approval." + a.Outcome
		}
		i := slices.IndexFunc(events, func(e auditEvent) bool {
			if e.Kind != kind || e.Actor != a.Actor {
				return false
			}
			switch a.Kind {
			case ActExpedite:
				return e.Step == a.Step
			case ActEvent:
				return true
			case ActComplete:
				return e.Task == a.Task && (kind != "task.completed" || e.Detail["outcome"] == a.Outcome)
			}
			return e.Task == a.Task
		})
		for i >= 0 && used[i] {
			j := slices.IndexFunc(events[i+1:], func(e auditEvent) bool {
				return e.Kind == kind && e.Actor == a.Actor && (e.Task == a.Task || e.Step == a.Step)
			})
			if j < 0 {
				i = -1
				break
			}
			i += j + 1
		}
		if i < 0 {
			fail("the audit trail has no %s by %s for %s", kind, a.Actor, firstOf(a.Task, a.Step))
			continue
		}
		used[i] = true
	}

	// The evidence: the same trail, the published version's hash, a digest.
	ev, err := d.Client.Expect(ctx, http.StatusOK, admin, "GET", "/v1/runs/"+runID+"/evidence", nil)
	if err != nil {
		return append(problems, err.Error())
	}
	var evidence struct {
		Definition struct {
			Key     string `json:"key"`
			Version int    `json:"version"`
			Hash    string `json:"hash"`
		} `json:"definition"`
		Audit struct {
			Events []auditEvent `json:"events"`
		} `json:"audit"`
		History struct {
			Digest string `json:"digest"`
		} `json:"history"`
	}
	if err := decode(ev, &evidence); err != nil {
		return append(problems, "decode the evidence: "+err.Error())
	}
	if !reflect.DeepEqual(evidence.Audit.Events, events) {
		fail("the evidence's audit trail differs from GET /v1/runs/{id}/audit")
	}
	if evidence.History.Digest == "" {
		fail("the evidence has no history digest")
	}
	def, err := d.Client.Expect(ctx, http.StatusOK, admin, "GET", fmt.Sprintf("/v1/definitions/%s/versions/%d",
		evidence.Definition.Key, evidence.Definition.Version), nil)
	if err != nil {
		fail("the evidence names %s v%d: %v", evidence.Definition.Key, evidence.Definition.Version, err)
	} else if def["hash"] != evidence.Definition.Hash {
		fail("the evidence's definition hash %s is not the published one, %v", evidence.Definition.Hash, def["hash"])
	}

	// The outbound events: start, each closed task, the end.
	endEvent := map[string]string{"completed": "run.completed", "failed": "step.failed", "cancelled": "run.cancelled"}[status]
	deadline := time.Now().Add(30 * time.Second)
	var deliveries []Delivery
	for {
		deliveries = d.Sink.Events(runID)
		if slices.ContainsFunc(deliveries, func(e Delivery) bool { return e.Type == endEvent }) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	has := func(typ string, match func(task map[string]any) bool) bool {
		return slices.ContainsFunc(deliveries, func(e Delivery) bool {
			task, _ := e.Data["task"].(map[string]any)
			return e.Type == typ && (match == nil || match(task))
		})
	}
	for _, typ := range []string{"run.started", endEvent} {
		if !has(typ, nil) {
			fail("the subscription received no %s", typ)
		}
	}
	for _, c := range closedTasks(acts) {
		if !has("task.completed", func(t map[string]any) bool {
			return t["id"] == c.Task && t["outcome"] == c.Outcome && t["completed_by"] == c.Actor
		}) {
			fail("the subscription received no task.completed for %s (%s by %s)", c.Task, c.Outcome, c.Actor)
		}
	}
	return problems
}

// closedTasks are the driver's completions that closed their task: each task's last
// completion (an approval's deciding vote).
func closedTasks(acts []Action) []Action {
	last := map[string]int{}
	for i, a := range acts {
		if a.Kind == ActComplete {
			last[a.Task] = i
		}
	}
	var out []Action
	for i, a := range acts {
		if a.Kind == ActComplete && last[a.Task] == i {
			out = append(out, a)
		}
	}
	return out
}

func lastOf(events []auditEvent, keep func(auditEvent) bool) *auditEvent {
	for i := len(events) - 1; i >= 0; i-- {
		if keep(events[i]) {
			return &events[i]
		}
	}
	return nil
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
