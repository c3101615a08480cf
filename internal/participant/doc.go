// Package participant plays the people of Handoff runs through the HTTP API, so that
// tests can drive every path of any published definition to its end.
//
// A Driver starts a run from the definition's start form (GET /v1/definitions/{key}
// inputs), then, until the run and its subprocesses end, works what the run waits for:
// each open task as a real assignee with that user's own API key (claiming group tasks,
// every needed approver voting on an approval), with valid data for every field of the
// task's form (types, options, min and max, pattern, required; values that a
// `validate` rule refuses are replaced from the field's other candidates); a timed wait is
// ended by the audited operator action (POST /v1/runs/{id}/steps/{step}/expedite); an event
// wait is delivered its event, or timed out the same way.
//
// Where the run offers a choice — a select or boolean input of the start form, a task's
// outcomes, an approval's approve or reject, a fix-it's retry, skip or edit, an
// integration that answers or fails, an event delivered or timed out — the Driver takes
// the choice its Path names, and the first one otherwise, and records the choice point.
// Explore walks a definition until every option of every choice point it reached has
// been taken in some walk.
//
// The integrations of the definitions are served in process by a Sink (the worker's
// outbound transport in tests): it answers each http step with a JSON body holding what
// the step's `save` expressions read, or refuses it (422) when the walk chose that the
// integration fails. Check verifies that a finished walk's audit trail, evidence and
// outbound events (a subscription delivering to the Sink) agree with what the Driver did.
package participant
