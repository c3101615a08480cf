// Package api is what people and programs do with Handoff — definitions, runs, the
// task inbox, the directory, integrations — and its HTTP transport (Echo v4, JSON).
//
// # Operations and transports
//
// Each thing a caller can do is an operation: an exported method of [Server] that takes
// the context, the calling user and a typed request, and returns the API's own resource
// types ([Task], [Run], [Definition], [ResolvedForm], …) or an error:
//
//	func (s *Server) CompleteTask(ctx context.Context, me postgres.User, req CompleteTaskRequest) (CompleteTaskResult, error)
//
// An operation does everything the rules ask: it authorises the caller (roles, who may
// see a run — [Server.MaySeeRun], one rule, answered as a 404 — and who may work on a
// task), resolves and validates the request (forms are resolved and checked
// with definitions.Engine, as the run does), and acts. A transport only decodes,
// calls and encodes, so that every transport applies the same rules by calling the
// same code:
//
//   - the HTTP API: one unexported Echo handler per operation (below the "---- HTTP" line
//     of each file) reads the path, query, headers and JSON body into the request,
//     calls the operation, and answers its result as JSON;
//   - the web app (package web) renders the same results as pages.
//
// Errors an operation returns are *[Problem] for what the caller did wrong (with
// [FieldError]s naming each request field at fault: "data.amount", "inputs.email",
// "outcome") or store, definition and Temporal errors. [AsProblem] is the one mapping
// of them all to a status, a detail and field errors; the HTTP transport writes it as
// RFC 9457 problem+json (errors.go), another transport shows it its own way.
//
// What only HTTP has stays in handlers: webhook deliveries (signed raw bodies), the
// Temporal codec endpoints, health, metrics and the OpenAPI document. openapi.yaml
// describes the HTTP API; tests keep it true to the routes and the answers.
package api
