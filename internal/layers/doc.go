// Package layers holds the test that keeps Handoff's imports pointing one way:
// the definition language at the bottom, the interpreter above it, adapters named after
// what they wrap beside each other, and cmd/handoff wiring everything. It has no code.
package layers
