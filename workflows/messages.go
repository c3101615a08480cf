package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/handoffhq/handoff/definitions"
)

// Names shared by the interpreter, the worker and the API. Changing any of them
// breaks running workflows: they are part of the stored histories.
const (
	// WorkflowName is the one workflow type every run executes.
	WorkflowName = "HandoffRun"
	// TaskQueue is the task queue the worker polls and runs start on.
	TaskQueue = "handoff"

	// UpdateComplete completes a task (validated before anything is written).
	UpdateComplete = "complete"
	// UpdateSettle waits until the run has opened its next tasks and returns its state
	// (brief from interpreter version 3, brief.go); the API sends it with the start so
	// that the 201 names the first open tasks.
	UpdateSettle = "settle"
	// UpdateClaim, UpdateRelease, UpdateReassign and UpdateDelegate change who holds a
	// task.
	UpdateClaim    = "claim"
	UpdateRelease  = "release"
	UpdateReassign = "reassign"
	UpdateDelegate = "delegate"
	// UpdateEvent delivers a named external event to the run (a wait step).
	UpdateEvent = "event"
	// UpdateExpedite ends a wait step's timer now (ExpediteRequest; see expedite.go).
	UpdateExpedite = "expedite"
	// SignalComplete is the signal form of UpdateComplete, for the Temporal CLI and Web UI.
	SignalComplete = "complete"
	// SignalCancelReason tells a run why it is about to be cancelled (CancelNotice): the
	// API sends it before it asks Temporal to cancel the run, and a parent run sends it to
	// its subprocess before cancelling it, since a Temporal cancellation carries no reason
	// that workflow code can read.
	SignalCancelReason = "cancel-reason"
	// QueryState returns the RunState, the same document as GET /v1/runs/{id}.
	QueryState = "state"
	// QuerySync returns the SyncLog: which ordered inbox writes are in the history.
	QuerySync = "sync"

	// ActivitySyncInbox writes task and run changes to the Postgres projection and
	// queues notifications.
	ActivitySyncInbox = "SyncInbox"
	// ActivityHTTP calls an integration.
	ActivityHTTP = "HTTPCall"
	// ActivityNotify sends a notify step's message.
	ActivityNotify = "Notify"
	// ActivityLookupUser reads who the actor of a signalled completion is (DirectoryUser).
	ActivityLookupUser = "LookupUser"
)

// Error types carried by ApplicationErrors that the API maps to HTTP statuses.
const (
	ErrTypeInvalidForm  = "InvalidForm"  // details: []definitions.FieldError → 422
	ErrTypeTaskNotOpen  = "TaskNotOpen"  // → 409
	ErrTypeNotEligible  = "NotEligible"  // → 403
	ErrTypeBadRequest   = "BadRequest"   // → 422
	ErrTypeStepFailed   = "StepFailed"   // the run failed at a step
	ErrTypeUnsupported  = "Unsupported"  // a step kind this interpreter cannot run
	ErrTypeInvalidInput = "InvalidInput" // the run's inputs or definition are unusable
)

// Search attributes that Handoff keeps on every run (spec §5).
var (
	AttrDefinition  = temporal.NewSearchAttributeKeyKeyword("HandoffDefinition")
	AttrVersion     = temporal.NewSearchAttributeKeyInt64("HandoffVersion")
	AttrBusinessKey = temporal.NewSearchAttributeKeyKeyword("HandoffBusinessKey")
	AttrOpenSteps   = temporal.NewSearchAttributeKeyKeywordList("HandoffOpenSteps")
	AttrAssignees   = temporal.NewSearchAttributeKeyKeywordList("HandoffAssignees")
	AttrOverdue     = temporal.NewSearchAttributeKeyBool("HandoffOverdue")
)

// RunInput starts a run: a pinned snapshot of one definition version and its inputs.
type RunInput struct {
	Program     *definitions.Program `json:"program"`
	Version     int                  `json:"version"`
	Inputs      map[string]any       `json:"inputs"`
	StartedBy   string               `json:"started_by"`
	BusinessKey string               `json:"business_key,omitempty"`
	// Interpreter pins the interpreter version of a run started directly (API, webhook,
	// subprocess, continue-as-new): the version of the code that started it, which
	// costs the history nothing. 0 (schedules, whose stored input outlives deploys, and
	// runs started before the field existed) lets the first workflow task choose, with
	// a version marker (workflow.GetVersion). See docs/versioning.md.
	Interpreter int `json:"interpreter,omitempty"`
	// ContinueAsNewAfter continues the run as new once its history reaches this many
	// events (0: only when Temporal suggests it). For tests and tuning.
	ContinueAsNewAfter int `json:"continue_as_new_after,omitempty"`
	// Resume is set when the run continues from an earlier execution.
	Resume *Resume `json:"resume,omitempty"`
}

// CompleteRequest completes a task, as an Update or a Signal.
type CompleteRequest struct {
	TaskID  string         `json:"task_id"`
	Actor   string         `json:"actor"`
	Data    map[string]any `json:"data,omitempty"`
	Outcome string         `json:"outcome,omitempty"`
	Comment string         `json:"comment,omitempty"`
	// IdempotencyKey makes a repeated completion return the first result.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// ActorGroups and Admin are asserted by the API, which authorises the caller
	// against the directory before it sends the Update.
	ActorGroups []string `json:"actor_groups,omitempty"`
	Admin       bool     `json:"admin,omitempty"`
}

// CancelNotice says why a run is cancelled, and by whom.
type CancelNotice struct {
	Reason string `json:"reason"`
	By     string `json:"by,omitempty"`
	// ByRun is the parent run that cancelled this subprocess.
	ByRun string `json:"by_run,omitempty"`
}

// DirectoryUser is what ActivityLookupUser found: whether the user exists, their
// groups, and whether they are an admin.
type DirectoryUser struct {
	ID     string   `json:"id"`
	Found  bool     `json:"found"`
	Groups []string `json:"groups,omitempty"`
	Admin  bool     `json:"admin,omitempty"`
}

// CompleteResult answers a completion: the task as completed and the run as it now stands.
type CompleteResult struct {
	Task Task       `json:"task"`
	Run  RunSummary `json:"run"`
}

// RunSummary is the part of the run state a completion answers with.
type RunSummary struct {
	Status    string `json:"status"`
	OpenTasks []Task `json:"open_tasks"`
}

// InboxSync is the input of ActivitySyncInbox: what changed in one step of the run.
// Close is applied before Open so that one call can hand a run from one task to the next.
type InboxSync struct {
	Run    *RunRecord     `json:"run,omitempty"`
	Close  []Task         `json:"close,omitempty"`
	Open   []TaskOpening  `json:"open,omitempty"`
	Notify []Notification `json:"notify,omitempty"`
	// Journal lists what the run decided by itself since the last write (routing
	// decisions and the rule that matched, skipped steps, reminders, escalations,
	// fix-it choices, ownership changes). It rides along in the activity input so the
	// audit trail can read it from history without extra events.
	Journal []JournalEntry `json:"journal,omitempty"`
	// Seq, Fence, FenceAt, Started and Held are set on the ordered writes of interpreter
	// version 3 (projection.go), which carry Run every time: the write's number, how far
	// the history had got (execution and history length, then the workflow task's
	// start), whether this is the run's first write, and every open task the write does
	// not open or close.
	Seq     int64      `json:"seq,omitempty"`
	Fence   int64      `json:"fence,omitempty"`
	FenceAt *time.Time `json:"fence_at,omitempty"`
	Started bool       `json:"started,omitempty"`
	Held    []Task     `json:"held,omitempty"`
}

// JournalEntry is one thing the run did or decided, for the audit trail.
type JournalEntry struct {
	At     time.Time      `json:"at"`
	Kind   string         `json:"kind"`
	Step   string         `json:"step,omitempty"`
	Task   string         `json:"task,omitempty"`
	Actor  string         `json:"actor,omitempty"`
	Detail map[string]any `json:"detail,omitempty"`
}

// Journal kinds.
const (
	JournalDecision   = "decision"
	JournalSkipped    = "step.skipped"
	JournalStep       = "step.completed"
	JournalReminder   = "reminder"
	JournalOverdue    = "overdue"
	JournalEscalation = "escalation"
	JournalOwnership  = "ownership"
	JournalFixIt      = "fixit.choice"
	JournalSentBack   = "sent_back"
	JournalRejected   = "signal.rejected"
	JournalWaited     = "wait.ended"
	JournalBranch     = "branch.skipped"
	JournalCancelled  = "run.cancel_reason"
	JournalExpedited  = "wait.expedited"
)

// Notification events queued through ActivitySyncInbox (task.assigned is implied by
// every task opened).
const (
	EventTaskAssigned  = "task.assigned"
	EventTaskReminder  = "task.reminder"
	EventTaskEscalated = "task.escalated"
	EventTaskOverdue   = "task.overdue"
)

// Notification asks for people to be told about a task. Recipients are users,
// members of groups, and the managers of the ManagerOf users.
type Notification struct {
	Event     string   `json:"event"`
	TaskID    string   `json:"task_id"`
	Title     string   `json:"title"`
	Users     []string `json:"users,omitempty"`
	Groups    []string `json:"groups,omitempty"`
	ManagerOf []string `json:"manager_of,omitempty"`
}

// Ownership changes.
const (
	OwnershipClaim    = "claim"
	OwnershipRelease  = "release" // the claimant gives a group's task back to the group
	OwnershipReassign = "reassign"
	OwnershipDelegate = "delegate"
)

// OwnershipRequest claims, releases, reassigns or delegates a task. The API checks that To is a
// known user before sending it.
type OwnershipRequest struct {
	Kind        string   `json:"kind"`
	TaskID      string   `json:"task_id"`
	Actor       string   `json:"actor"`
	To          string   `json:"to,omitempty"`
	Comment     string   `json:"comment,omitempty"`
	ActorGroups []string `json:"actor_groups,omitempty"`
	Admin       bool     `json:"admin,omitempty"`
}

// EventRequest delivers an external event. ID makes delivery idempotent: a second
// delivery with the same ID changes nothing and answers Duplicate.
type EventRequest struct {
	ID    string         `json:"id"`
	Name  string         `json:"name"`
	Data  map[string]any `json:"data,omitempty"`
	Actor string         `json:"actor,omitempty"`
}

// EventResult answers an event delivery.
type EventResult struct {
	Duplicate bool       `json:"duplicate"`
	Run       RunSummary `json:"run"`
}

// RunRecord is the run row of the projection.
type RunRecord struct {
	ID          string     `json:"id"`
	Definition  string     `json:"definition"`
	Version     int        `json:"version"`
	Status      string     `json:"status"`
	BusinessKey string     `json:"business_key,omitempty"`
	Summary     string     `json:"summary,omitempty"`
	StartedBy   string     `json:"started_by"`
	StartedAt   time.Time  `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	// Error says why a failed run failed, in words for people; FailedStep names the step.
	Error      string `json:"error,omitempty"`
	FailedStep string `json:"failed_step,omitempty"`
}

// TaskOpening asks the activity to resolve a task's assignees against the directory and
// write it to the inbox. Users and Groups are already resolved by the workflow; ManagerOf
// lists users whose managers must be looked up.
type TaskOpening struct {
	Task      Task     `json:"task"`
	ManagerOf []string `json:"manager_of,omitempty"`
}

// InboxResult reports the assignees the activity resolved, one entry per opened task, in order.
type InboxResult struct {
	Assignees [][]string `json:"assignees"`
	// Written is the write itself, echoed when SyncInbox runs as a local activity
	// (interpreter version 2): a local activity's input is not in the history, and the
	// audit trail is built from the history. It says what the write changed, as the
	// history's readers use it (activities/echo.go): not Held, and Run only where
	// version 2 sent it (the first write, whole, and the run's end, as it ended).
	Written *InboxSync `json:"written,omitempty"`
	// WriteID is the random id of an ordered write (version 3), for QuerySync.
	WriteID string `json:"write_id,omitempty"`
}

// SyncLog answers QuerySync: how far the run's ordered inbox writes (interpreter
// version 3) are in its history. The outbox dispatcher sends what a write queued only
// once the write is there.
type SyncLog struct {
	// Last is the number of the last write in the history (across continue-as-new).
	Last int64 `json:"last"`
	// Writes are the latest writes of this execution, oldest first; an older write in
	// the history is one numbered at most Last that is not listed.
	Writes []SyncWrite `json:"writes"`
}

// SyncWrite is one ordered write in the history.
type SyncWrite struct {
	Seq int64  `json:"seq"`
	ID  string `json:"id"`
}
