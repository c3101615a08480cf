// Package workflows is Handoff's interpreter: the one Temporal workflow (WorkflowName)
// that every run executes over a pinned snapshot of one compiled definition
// (RunInput.Program). It holds the run's state (RunState, the `state` query), the names
// and payloads of its messages (messages.go) and their handlers. It is deterministic code
// only: no I/O, no map iteration without workflow.DeterministicKeys, time from
// workflow.Now. It calls activities by name; package activities implements them and
// package worker registers both.
//
// # Steps
//
// Interpreter.Run executes the top-level steps in order (execSequence, following jumps
// and bounding rework loops), one small function per step kind (execStep): task and
// approval open a Task and wait for it to close (task.go, deadlines.go for due dates,
// reminders and escalations); decision and set evaluate CEL; parallel runs each branch as
// a coroutine and joins (parallel.go); wait waits for a time, a date or an event
// (wait.go); http and notify run their activity with the step's retry policy and, when
// it fails for good, take on_failure — a fix-it task, a jump, or failing the run
// (automation.go, fixit.go); subprocess runs a child workflow (subprocess.go); end
// returns with the outcome.
//
// # Rest points and the busy count
//
// People act through Updates — complete, claim, release, reassign, delegate, event, expedite —
// whose validators refuse a bad request before anything is written to history, and
// through the signal complete (from the Temporal CLI or Web, checked in the workflow).
// An Update answers with the run as it stands after the change: its handler applies the
// change, then waits until the run has come to rest. busy counts the coroutines that are
// working rather than resting; a coroutine rests (rest.go) while it waits for people, a
// timer, an event or a child run, and, from version 3, for an automation's activity once
// automationGrace has passed (so no answer waits on an integration's retries). Whoever
// makes a resting coroutine's condition true (a handler closing a task, a branch ending)
// wakes it, counting it busy at once, so a handler never sees the run at rest while a
// woken coroutine has yet to run. The API starts a run with the settle Update, so that
// its answer names the first open tasks the same way.
//
// # The version gate
//
// A change to what the interpreter does is gated so that running histories still
// replay (version.go, docs/versioning.md): one interpreterVersion for the whole
// interpreter; each run follows one version, pinned in its input by whoever starts it
// (RunInput.Interpreter) or recorded with workflow.GetVersion when the input has none (a
// schedule's). New behaviour branches on r.version >= N with the old path kept verbatim,
// and testdata/histories/v<N> holds recorded histories of every version, replayed by
// TestReplayCorpus.
//
// # Continue-as-new
//
// A run that lives for months continues as new before its history grows too long
// (continue.go): when Temporal suggests it, at a rest point of the top-level sequence
// (never inside a parallel branch). It first lets handlers finish and drains signals,
// then carries everything that matters in Resume: the state (open tasks with absolute
// deadlines and what has fired, step data, events), where the run stands, the rework
// counters, the answers to processed idempotency keys, and closed tasks not yet taken up.
// Timers are rebuilt from the absolute deadlines.
//
// # Inbox writes and their hazard
//
// What people and integrations must see — the run row, tasks opened and closed, the
// audit journal, notifications and outbound events — is written to Postgres by the
// SyncInbox activity (projection.go) at each rest point, batched. From version 2 it runs
// as a local activity, inside the workflow task that decided it: one marker in history
// instead of an activity's round trip and a second workflow task. The hazard is what a
// local activity is: the write happens before its workflow task completes, so when that
// task fails or its worker dies the write has been made but the history does not say
// so, and the task runs again and makes it again — by then, perhaps, after a later write
// of the same run, and a long Postgres outage holds the workflow task while the write is
// retried. Every write is idempotent, and the projection converges by sequence: each
// write carries its place in the run, and Postgres keeps a row's newest state whatever
// order the writes arrive in (activities/inbox.go, postgres/). The audit trail and the
// chaos oracle read what was written from the LocalActivity markers (SyncInboxWritten).
package workflows
