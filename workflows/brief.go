package workflows

import (
	"time"

	"github.com/handoffhq/handoff/definitions"
)

// From interpreter version 3 the settle and complete Updates answer briefly, and the
// run's result says only how it ended: every answer and the result are stored in the
// run's history, and most of what version 2 put there the caller already has (what it
// sent, the definition) or reads from the inbox projection, which the run writes before
// it answers (issue 18: history bytes per run). The JSON names are RunState's and
// Task's, so a brief answer decodes into RunState, CompleteResult and Task; the API
// fills in the rest (api/runs.go, api/tasks.go). The whole state stays available
// through the state query.

// Settled answers the settle Update (version 3): the state without what the start
// request sent (id, definition, version, business key, started by, inputs), with each
// open task brief.
type Settled struct {
	Status       string         `json:"status"`
	Outcome      string         `json:"outcome,omitempty"`
	Outputs      map[string]any `json:"outputs,omitempty"`
	Error        string         `json:"error,omitempty"`
	Summary      string         `json:"summary,omitempty"`
	StartedAt    time.Time      `json:"started_at"`
	CompletedAt  *time.Time     `json:"completed_at,omitempty"`
	Cancellation *CancelNotice  `json:"cancellation,omitempty"`
	Steps        []StepState    `json:"steps"`
	OpenTasks    []TaskBrief    `json:"open_tasks"`
	Events       []Event        `json:"events,omitempty"`
	Rejected     []Rejection    `json:"rejected,omitempty"`
}

// TaskBrief is what a version 3 answer says of a task: its id and step, how it ended,
// and for an open one the choices it offers (outcomes; an approval's policy, votes
// needed and votes).
// The rest (title, description, kind, assignees, groups, claim, due date, form, creation
// time) is the inbox projection's row of the task.
type TaskBrief struct {
	ID            string         `json:"id"`
	StepID        string         `json:"step_id"`
	Status        string         `json:"status,omitempty"`
	Outcomes      []string       `json:"outcomes,omitempty"`
	Policy        string         `json:"policy,omitempty"`
	RequiredVotes int            `json:"required_votes,omitempty"`
	Votes         []Vote         `json:"votes,omitempty"`
	Outcome       string         `json:"outcome,omitempty"`
	Data          map[string]any `json:"data,omitempty"`
	CompletedBy   string         `json:"completed_by,omitempty"`
	CompletedAt   *time.Time     `json:"completed_at,omitempty"`
}

// CompleteBrief answers the complete Update (version 3): CompleteResult with brief tasks.
type CompleteBrief struct {
	Task TaskBrief    `json:"task"`
	Run  SummaryBrief `json:"run"`
}

// SummaryBrief is RunSummary with brief tasks.
type SummaryBrief struct {
	Status    string      `json:"status"`
	OpenTasks []TaskBrief `json:"open_tasks"`
}

// RunResult is a run's result from version 3: how it ended. The parent of a subprocess
// and the audit trail read these fields (of RunState before).
type RunResult struct {
	ID      string         `json:"id"`
	Status  string         `json:"status"`
	Outcome string         `json:"outcome,omitempty"`
	Outputs map[string]any `json:"outputs,omitempty"`
	Error   string         `json:"error,omitempty"`
}

// brief is a task as a version 3 answer names it. An open task's status is left to the
// projection's row.
func brief(t Task) TaskBrief {
	b := TaskBrief{ID: t.ID, StepID: t.StepID, Outcome: t.Outcome, Data: t.Data,
		CompletedBy: t.CompletedBy, CompletedAt: t.CompletedAt}
	switch {
	case t.Status == TaskOpen && t.Kind == string(definitions.KindApproval):
		b.Outcomes, b.Policy, b.RequiredVotes, b.Votes = t.Outcomes, t.Policy, t.RequiredVotes, t.Votes
	case t.Status == TaskOpen:
		b.Outcomes = t.Outcomes
	default:
		b.Status = t.Status
	}
	return b
}

func briefTasks(ts []Task) []TaskBrief {
	out := make([]TaskBrief, len(ts))
	for i, t := range ts {
		out[i] = brief(t)
	}
	return out
}

// settled is the settle Update's answer.
func (r *run) settled() any {
	if r.version < 3 {
		return r.state
	}
	st := r.state
	return Settled{Status: st.Status, Outcome: st.Outcome, Outputs: st.Outputs, Error: st.Error,
		Summary: st.Summary, StartedAt: st.StartedAt, CompletedAt: st.CompletedAt, Cancellation: st.Cancellation, Steps: st.Steps,
		OpenTasks: briefTasks(st.OpenTasks), Events: st.Events, Rejected: st.Rejected}
}

// completeAnswer is the complete Update's answer.
func (r *run) completeAnswer(res CompleteResult) any {
	if r.version < 3 {
		return res
	}
	return CompleteBrief{Task: brief(res.Task), Run: SummaryBrief{Status: res.Run.Status, OpenTasks: briefTasks(res.Run.OpenTasks)}}
}

// result is the run's result.
func (r *run) result() any {
	if r.version < 3 {
		return r.state
	}
	st := r.state
	return RunResult{ID: st.ID, Status: st.Status, Outcome: st.Outcome, Outputs: st.Outputs, Error: st.Error}
}
