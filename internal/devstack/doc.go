// Package devstack starts the servers Handoff needs on a developer machine or
// in tests: the Temporal dev server (from the Temporal CLI, installed into a
// project-local folder) and a PostgreSQL cluster in a local folder.
//
// Both `handoff dev` and the test harness (internal/testenv) use it, so the
// dev loop and the tests run against the same, tuned setup.
package devstack
