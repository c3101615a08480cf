package definitions

// StepKind names what a step does.
type StepKind string

// Step kinds.
const (
	KindTask       StepKind = "task"
	KindApproval   StepKind = "approval"
	KindDecision   StepKind = "decision"
	KindParallel   StepKind = "parallel"
	KindWait       StepKind = "wait"
	KindHTTP       StepKind = "http"
	KindNotify     StepKind = "notify"
	KindSet        StepKind = "set"
	KindSubprocess StepKind = "subprocess"
	KindEnd        StepKind = "end"
)

// StepKinds lists every step kind in documentation order.
var StepKinds = []StepKind{KindTask, KindApproval, KindDecision, KindParallel, KindWait,
	KindHTTP, KindNotify, KindSet, KindSubprocess, KindEnd}

// Approval outcomes.
const (
	OutcomeApproved = "approved"
	OutcomeRejected = "rejected"
)

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

// Route is one decision rule.
type Route struct {
	When      string `json:"when"`
	Goto      string `json:"goto"`
	MaxRounds int    `json:"max_rounds,omitempty"`
}

// Branch is one concurrent sequence of a parallel step.
type Branch struct {
	ID    string `json:"id"`
	When  string `json:"when,omitempty"`
	Steps []Step `json:"steps"`
}

// Due places a deadline at Offset after (or Before) a base time: the step's
// start ("step_start", the default), the run's start ("run_start"), or a CEL
// expression yielding a timestamp (e.g. "inputs.start_date").
type Due struct {
	Offset Duration `json:"offset"`
	Before bool     `json:"before,omitempty"`
	From   string   `json:"from,omitempty"`
}

// Due bases.
const (
	FromStepStart = "step_start"
	FromRunStart  = "run_start"
)

// Reminder notifies at Offset before or after the due time, then Every interval
// up to Times reminders in all (0 = once; repeating ones are capped at 50).
type Reminder struct {
	Offset Duration  `json:"offset"`
	Before bool      `json:"before,omitempty"`
	Every  *Duration `json:"every,omitempty"`
	Times  int       `json:"times,omitempty"`
	Notify []string  `json:"notify,omitempty"` // roles; default the assignees
}

// Escalation is one rung of a ladder: After this long overdue, do Action.
type Escalation struct {
	After Duration `json:"after"`
	// Action is "notify" (Roles), "add" (add Roles as assignees), "reassign"
	// (replace the assignees with Roles) or "outcome" (complete with Outcome).
	Action  string   `json:"action"`
	Roles   []string `json:"roles,omitempty"`
	Outcome string   `json:"outcome,omitempty"`
}

// Escalation actions.
const (
	EscalateNotify   = "notify"
	EscalateAdd      = "add"
	EscalateReassign = "reassign"
	EscalateOutcome  = "outcome"
)

// Wait pauses a run: For a duration, Until a CEL timestamp, or for a named
// external Event (payload typed by the step's Form) with an optional Timeout.
type Wait struct {
	For       *Duration `json:"for,omitempty"`
	Until     string    `json:"until,omitempty"`
	Event     string    `json:"event,omitempty"`
	Timeout   *Duration `json:"timeout,omitempty"`
	OnTimeout string    `json:"on_timeout,omitempty"` // step to jump to on timeout; "" = go on
}

// HTTPCall is an integration call. URL, header values and every string inside
// Body are templates. Secrets are referenced by name only and resolved inside the
// activity; they never reach CEL or workflow history.
type HTTPCall struct {
	Method        string       `json:"method"`
	URL           string       `json:"url"`
	Headers       []Header     `json:"headers,omitempty"`
	SecretHeaders []Header     `json:"secret_headers,omitempty"` // Value is a secret name
	Body          any          `json:"body,omitempty"`
	Timeout       *Duration    `json:"timeout,omitempty"` // per attempt; default 30 seconds
	Save          []Assignment `json:"save,omitempty"`    // step data from CEL over `response`
}

// Header is one HTTP header.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Notify sends a message.
type Notify struct {
	Channel   string   `json:"channel"`             // "email" (default), "slack" or "webhook"
	To        []string `json:"to,omitempty"`        // role names
	Addresses []string `json:"addresses,omitempty"` // literal email addresses
	URL       string   `json:"url,omitempty"`       // slack/webhook target (template)
	URLSecret string   `json:"url_secret,omitempty"`
	Subject   string   `json:"subject,omitempty"` // template
	Message   string   `json:"message"`           // template
}

// Notify channels.
const (
	ChannelEmail   = "email"
	ChannelSlack   = "slack"
	ChannelWebhook = "webhook"
)

// Subprocess starts a child run and waits for it; its outputs become step data.
type Subprocess struct {
	Definition string       `json:"definition"`
	Version    int          `json:"version,omitempty"` // 0 = latest at start
	Inputs     []Assignment `json:"inputs,omitempty"`
}

// Retry is an activity retry policy. Zero values mean the defaults: 3 attempts,
// 10 seconds initially, doubling, at most 10 minutes apart.
type Retry struct {
	Attempts    int       `json:"attempts,omitempty"`
	Interval    *Duration `json:"interval,omitempty"`
	Backoff     float64   `json:"backoff,omitempty"`
	MaxInterval *Duration `json:"max_interval,omitempty"`
}

// OnFailure says what happens when retries are exhausted.
type OnFailure struct {
	// Action is "fail" (the run fails), "fix" (a fix-it task for Assignee with the
	// choices retry, skip or edit and retry) or "goto" (jump to Goto).
	Action   string `json:"action"`
	Assignee string `json:"assignee,omitempty"`
	Goto     string `json:"goto,omitempty"`
}

// Failure actions.
const (
	FailureFail = "fail"
	FailureFix  = "fix"
	FailureGoto = "goto"
)
