package workflows

import (
	"slices"
	"strings"
	"time"

	"github.com/handoffhq/handoff/definitions"
)

// Run statuses.
const (
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

// Step and task statuses.
const (
	StepPending   = "pending"
	StepActive    = "active"
	StepCompleted = "completed"
	StepSkipped   = "skipped"
	StepFailed    = "failed"
	StepCancelled = "cancelled"

	TaskOpen      = "open"
	TaskCompleted = "completed"
	TaskCancelled = "cancelled"
)

// ActorSystem is the actor of what the run does by itself (escalations, timeouts).
const ActorSystem = "system"

// RunState is the run as the `state` query and GET /v1/runs/{id} show it.
type RunState struct {
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
	StartedBy   string         `json:"started_by"`
	CompletedAt *time.Time     `json:"completed_at,omitempty"`
	// Cancellation says why a cancelled run was cancelled (interpreter version 3).
	Cancellation *CancelNotice  `json:"cancellation,omitempty"`
	Inputs       map[string]any `json:"inputs"`
	Steps        []StepState    `json:"steps"`
	OpenTasks    []Task         `json:"open_tasks"`
	// Events are the external events delivered to the run, in order.
	Events []Event `json:"events,omitempty"`
	// Rejected lists signals the run refused, with the reason, so that a completion
	// sent from the Temporal CLI that failed validation is visible.
	Rejected []Rejection `json:"rejected,omitempty"`
}

// Vars is what CEL sees of the run at now, with form as the form being filled: the
// interpreter's view, and the API's when it resolves a form outside the run.
func (st *RunState) Vars(now time.Time, form map[string]any) definitions.Vars {
	steps := make(map[string]definitions.StepVars, len(st.Steps))
	for i := range st.Steps {
		s := &st.Steps[i]
		sv := definitions.StepVars{Data: s.Data, Outcome: s.Outcome, CompletedBy: s.CompletedBy, Status: s.Status}
		if s.CompletedAt != nil {
			sv.CompletedAt = *s.CompletedAt
		}
		if sv.Data == nil {
			sv.Data = map[string]any{}
		}
		steps[s.ID] = sv
	}
	return definitions.Vars{
		Inputs: st.Inputs,
		Steps:  steps,
		Run: definitions.RunVars{
			ID: st.ID, StartedBy: st.StartedBy, Definition: st.Definition,
			StartedAt: st.StartedAt, Version: st.Version,
		},
		Now:  now,
		Form: form,
	}
}

// StepState is one step of the run as far as it has got.
type StepState struct {
	ID       string         `json:"id"`
	Kind     string         `json:"kind"`
	Status   string         `json:"status"`
	Round    int            `json:"round,omitempty"`
	Outcome  string         `json:"outcome,omitempty"`
	Comment  string         `json:"comment,omitempty"`
	Data     map[string]any `json:"data,omitempty"`
	Votes    []Vote         `json:"votes,omitempty"`
	SentBack int            `json:"sent_back,omitempty"`
	Fixes    int            `json:"fixes,omitempty"`
	Until    *time.Time     `json:"until,omitempty"`
	// Expedited says who ended this wait early, when and why.
	Expedited   *Expedite  `json:"expedited,omitempty"`
	Error       string     `json:"error,omitempty"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	CompletedBy string     `json:"completed_by,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
}

// Task is a unit of human work the run waits for.
type Task struct {
	ID              string              `json:"id"`
	RunID           string              `json:"run_id"`
	StepID          string              `json:"step_id"`
	Definition      string              `json:"definition"`
	Kind            string              `json:"kind"`
	Title           string              `json:"title"`
	Description     string              `json:"description,omitempty"`
	Status          string              `json:"status"`
	Assignees       []string            `json:"assignees"`
	CandidateGroups []string            `json:"candidate_groups"`
	ClaimedBy       string              `json:"claimed_by,omitempty"`
	DueAt           *time.Time          `json:"due_at,omitempty"`
	Overdue         bool                `json:"overdue,omitempty"`
	Form            []definitions.Field `json:"form"`
	Outcomes        []string            `json:"outcomes,omitempty"`
	Policy          string              `json:"policy,omitempty"`
	RequiredVotes   int                 `json:"required_votes,omitempty"`
	Votes           []Vote              `json:"votes,omitempty"`
	History         []TaskEvent         `json:"history,omitempty"`
	RemindersSent   int                 `json:"reminders_sent,omitempty"`
	Escalations     int                 `json:"escalations,omitempty"`
	Outcome         string              `json:"outcome,omitempty"`
	Comment         string              `json:"comment,omitempty"`
	Data            map[string]any      `json:"data,omitempty"`
	CreatedAt       time.Time           `json:"created_at"`
	CompletedBy     string              `json:"completed_by,omitempty"`
	CompletedAt     *time.Time          `json:"completed_at,omitempty"`
}

// Vote is one approver's decision on an approval task.
type Vote struct {
	By      string         `json:"by"`
	Outcome string         `json:"outcome"`
	Comment string         `json:"comment,omitempty"`
	Data    map[string]any `json:"data,omitempty"`
	At      time.Time      `json:"at"`
}

// TaskEvent records what happened to a task besides its completion: a claim,
// reassignment or delegation (who, when, from, to), a reminder, overdue, an escalation.
type TaskEvent struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Actor  string    `json:"actor,omitempty"`
	From   string    `json:"from,omitempty"`
	To     string    `json:"to,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// Event is an external event delivered to the run.
type Event struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Data     map[string]any `json:"data,omitempty"`
	By       string         `json:"by,omitempty"`
	At       time.Time      `json:"at"`
	Consumed string         `json:"consumed_by,omitempty"` // the wait step that took it
}

// Rejection records a signal the run refused.
type Rejection struct {
	At      time.Time                `json:"at"`
	Signal  string                   `json:"signal"`
	TaskID  string                   `json:"task_id,omitempty"`
	Actor   string                   `json:"actor,omitempty"`
	Reason  string                   `json:"reason"`
	Details []definitions.FieldError `json:"details,omitempty"`
}

// eligible reports whether the actor may complete the task: the claimant of a claimed
// task, otherwise an assignee or a member of a candidate group; admins always.
func (t *Task) eligible(actor string, groups []string, admin bool) bool {
	if admin {
		return true
	}
	if t.ClaimedBy != "" {
		return t.ClaimedBy == actor
	}
	if slices.Contains(t.Assignees, actor) {
		return true
	}
	return slices.ContainsFunc(t.CandidateGroups, func(g string) bool { return slices.Contains(groups, g) })
}

// allows reports whether outcome is one of the task's choices ("" takes the first).
func (t *Task) allows(outcome string) bool {
	return outcome == "" && len(t.Outcomes) > 0 && t.Kind != string(definitions.KindApproval) ||
		slices.Contains(t.Outcomes, outcome)
}

// owner names who holds the task, for ownership records.
func (t *Task) owner() string {
	if t.ClaimedBy != "" {
		return t.ClaimedBy
	}
	who := slices.Clone(t.Assignees)
	for _, g := range t.CandidateGroups {
		who = append(who, "group:"+g)
	}
	return strings.Join(who, ",")
}

// taskEvent appends to a task's history.
func (r *run) taskEvent(t *Task, kind, actor, detail string) {
	t.History = append(t.History, TaskEvent{At: r.now(), Kind: kind, Actor: actor, Detail: detail})
}

// clone copies a task so that a result handed out does not share slices with the state.
func (t Task) clone() Task {
	t.Assignees = slices.Clone(t.Assignees)
	t.CandidateGroups = slices.Clone(t.CandidateGroups)
	t.Votes = slices.Clone(t.Votes)
	t.History = slices.Clone(t.History)
	return t
}
