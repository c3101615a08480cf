// Package chaos is Handoff's fault matrix (`make chaos`): faults F1–F5, F10–F13, F16 and
// F17 of shared/engineering/reliability.md, injected into real processes on one machine,
// on loopback, from seconds to five minutes each, with a ledger oracle that proves
// nothing acknowledged was lost or done twice and that the inbox says what the
// histories say.
//
// Run starts everything itself: it builds the handoff binary and runs `handoff worker`
// and `handoff serve` as child processes, the Temporal dev server (file-backed, WAL) as
// a child it can kill -9 and restart on the same file, a PostgreSQL cluster it can
// restart the way a crash does, an HTTP sink for http steps that counts attempts and
// effects per Idempotency-Key, and a TCP proxy between the worker and Temporal that
// delays and cuts connections. A driver plays users and webhook senders against the API
// while each fault happens, records every acknowledged operation in a ledger, lets the
// backlog drain, and then checks the ledger against Temporal's histories, the sink and
// Postgres (oracle.go). docs/reliability.md explains each fault and shows the table.
package chaos
