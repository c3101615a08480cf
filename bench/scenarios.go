package bench

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/handoffhq/handoff/bench/baseline"
	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/workflows"
)

//go:embed defs/*.yaml
var defsFS embed.FS

// scenario is one benchmark process in its two forms: a definition the interpreter runs
// and the hand-written workflow doing the same work.
type scenario struct {
	name     string // the file in defs/ without .yaml
	baseline string // the hand-written workflow's name ("" for section P's own processes)
	source   []byte
	prog     *definitions.Program
	// answer is the form data and outcome the driver submits for a task.
	answer func(step string) (map[string]any, string)
	// before, when set, runs before a task is completed (e.g. waits until it is overdue).
	before func(ctx context.Context, s *stack, runID string) error
}

// key is the definition key, which the hand-written workflow writes to the projection too.
func (sc *scenario) key() string { return sc.prog.Key }

func noteAnswer(string) (map[string]any, string) {
	return map[string]any{"note": "looks fine", "amount": 12.5}, ""
}

// loadScenarios compiles every benchmark definition.
func loadScenarios() (map[string]*scenario, error) {
	list := []*scenario{
		{name: "linear", baseline: baseline.LinearName, answer: noteAnswer},
		{name: "decision", baseline: baseline.DecisionName, answer: func(step string) (map[string]any, string) {
			if step == "request" {
				return map[string]any{"amount": 5000.0}, ""
			}
			return map[string]any{}, definitions.OutcomeApproved
		}},
		{name: "fanout", baseline: baseline.FanOutName, answer: emptyAnswer},
		{name: "timer", baseline: baseline.TimerName, answer: emptyAnswer, before: waitOverdue},
		{name: "http", baseline: baseline.HTTPName, answer: func(step string) (map[string]any, string) {
			if step == "request" {
				return map[string]any{"note": "please"}, ""
			}
			return map[string]any{}, ""
		}},
		{name: "hook", baseline: baseline.HookName, answer: emptyAnswer},
		// Section P's own processes, held against bench/minimal, not bench/baseline.
		{name: "set3", answer: emptyAnswer},
		{name: "human", answer: noteAnswer},
		{name: "fanout10", answer: emptyAnswer},
	}
	out := map[string]*scenario{}
	for _, sc := range list {
		src, err := defsFS.ReadFile("defs/" + sc.name + ".yaml")
		if err != nil {
			return nil, fmt.Errorf("read definition %s: %w", sc.name, err)
		}
		if sc.prog, err = definitions.Compile(src); err != nil {
			return nil, fmt.Errorf("compile definition %s: %w", sc.name, err)
		}
		sc.source = src
		out[sc.name] = sc
	}
	return out, nil
}

func emptyAnswer(string) (map[string]any, string) { return map[string]any{}, "" }

// waitOverdue waits until the run has marked its task overdue (the HandoffOverdue search
// attribute, which both forms upsert after the reminder and the overdue notice).
func waitOverdue(ctx context.Context, s *stack, runID string) error {
	return poll(ctx, 15*time.Second, "task overdue in "+runID, func() (bool, error) {
		desc, err := s.tc.DescribeWorkflow(ctx, runID, "")
		if err != nil {
			return false, err
		}
		p := desc.RawResponse.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()["HandoffOverdue"]
		return p != nil && string(p.GetData()) == "true", nil
	})
}

// poll calls cond every 20 ms until it holds, fails, or the timeout passes.
func poll(ctx context.Context, timeout time.Duration, what string, cond func() (bool, error)) error {
	return pollEvery(ctx, timeout, 20*time.Millisecond, what, cond)
}

// pollEvery is poll with another interval.
func pollEvery(ctx context.Context, timeout, every time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("wait for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wait for %s: timed out after %s", what, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
}

// firstOpen is the task the driver completes next.
func firstOpen(open []workflows.Task) (workflows.Task, bool) {
	if len(open) == 0 {
		return workflows.Task{}, false
	}
	return open[0], true
}
