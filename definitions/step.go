package definitions

// StepKind names what a step does. Each kind is declared in its kind_*.go
// file (see kind in kinds.go); StepKinds lists them.
type StepKind string

// Step is one step of a program. Fields beyond the common ones are used by the
// kinds named in their comments.
//
// Flow: steps run in order; a false When skips the step. After a step, Next (or a
// decision's route, an approval's send back, a wait's timeout, a failure's goto)
// jumps to a step of the same sequence. A jump to an earlier step (or itself)
// starts a rework loop and always carries MaxRounds: once that jump has been
// taken MaxRounds times in a run, it is not taken any more and the flow goes on
// as if it were absent (a decision rule counts as not matching, a rejection stands).
type Step struct {
	ID          string   `json:"id"`
	Kind        StepKind `json:"kind"`
	Title       string   `json:"title,omitempty"`       // template
	Description string   `json:"description,omitempty"` // template
	When        string   `json:"when,omitempty"`        // CEL bool guard; "" = always
	Next        string   `json:"next,omitempty"`        // step to go to afterwards; "" = the following one
	MaxRounds   int      `json:"max_rounds,omitempty"`  // bound for jumps back from this step

	// task, approval: who, what they fill in, and when it is due.
	Assignee    string       `json:"assignee,omitempty"` // role name
	Form        []Field      `json:"form,omitempty"`     // also: a wait's event payload
	Outcomes    []string     `json:"outcomes,omitempty"` // task: the buttons; default one "completed"
	Due         *Due         `json:"due,omitempty"`
	Reminders   []Reminder   `json:"reminders,omitempty"`
	Escalations []Escalation `json:"escalations,omitempty"`

	// approval
	Policy           string `json:"policy,omitempty"` // "any" (default), "all" or "quorum"
	Quorum           int    `json:"quorum,omitempty"` // approvals needed with policy "quorum"
	ExcludeRequester bool   `json:"exclude_requester,omitempty"`
	SendBackTo       string `json:"send_back_to,omitempty"` // step to rework on rejection

	// decision: the first rule whose When holds decides; otherwise Default.
	Rules   []Route `json:"rules,omitempty"`
	Default string  `json:"default,omitempty"`

	// parallel
	Branches  []Branch `json:"branches,omitempty"`
	Join      string   `json:"join,omitempty"`       // "all" (default), "any" or "count"
	JoinCount int      `json:"join_count,omitempty"` // branches needed with join "count"

	Wait       *Wait        `json:"wait,omitempty"`
	HTTP       *HTTPCall    `json:"http,omitempty"`
	Notify     *Notify      `json:"notify,omitempty"`
	Set        []Assignment `json:"set,omitempty"` // set: step data keys computed with CEL, in order
	Subprocess *Subprocess  `json:"subprocess,omitempty"`

	// http, notify: retries and what happens when they are exhausted.
	Retry     *Retry     `json:"retry,omitempty"`
	OnFailure *OnFailure `json:"on_failure,omitempty"`

	// end: the run's outcome and its outputs (a parent's subprocess step data).
	Outcome string       `json:"outcome,omitempty"`
	Outputs []Assignment `json:"outputs,omitempty"`
}
