// Package bench measures what Handoff's generic interpreter costs against hand-written
// Temporal workflows doing the same observable work (package bench/baseline), with the
// method of the engineering benchmarks page: the same servers in one invocation,
// alternating A (interpreted) and B (hand-written) phases, repeated, medians with spread.
//
// Run it with `make bench` (BENCH_SHORT=1 for a smoke run). Run starts every server it
// needs — a tuned in-memory Temporal dev server, a PostgreSQL cluster, the worker as a
// child process (so its CPU time and memory can be read alone), the API on loopback —
// measures the figures R1–R9, C1, D1, D2 and D3 (the web editor's validate round trip
// and the flow diagrams), and section P (Handoff against the least
// Temporal code doing the same business steps, package bench/minimal), and stops
// everything again. docs/benchmarks.md explains each figure.
package bench
