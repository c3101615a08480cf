package api

import (
	"net/http"
	"testing"

	must "github.com/stretchr/testify/require"
)

const callsOnboarding = `key: risk
steps:
  - {id: review, assignee: requester}
  - id: onboard
    kind: subprocess
    definition: vendor-onboarding
`

// TestPublishChecksSubprocessTargets is issue 13 item 3 at publish: a
// subprocess step whose definition is not published is refused (validate
// says so) at its line and column, and accepted once the target is published.
func TestPublishChecksSubprocessTargets(t *testing.T) {
	ts := newTestServer(t, Config{})
	yaml := http.Header{"Content-Type": {"application/yaml"}}
	want := map[string]any{"line": 6.0, "column": 17.0, "path": "steps[1].definition",
		"message": `unknown definition "vendor-onboarding": publish it before a definition that starts it`}

	v := ts.do("dana", "POST", "/v1/definitions/validate", callsOnboarding, yaml)
	must.Equal(t, http.StatusOK, v.status, v.raw)
	must.Equal(t, false, v.body["valid"])
	must.Equal(t, []any{want}, v.body["errors"])

	p := ts.do("dana", "POST", "/v1/definitions", callsOnboarding, yaml)
	must.Equal(t, http.StatusUnprocessableEntity, p.status, p.raw)
	must.Contains(t, p.body["errors"], want)

	ts.publish("key: vendor-onboarding\nsteps:\n  - {id: a, assignee: requester}\n")
	v = ts.do("dana", "POST", "/v1/definitions/validate", callsOnboarding, yaml)
	must.Equal(t, true, v.body["valid"], v.raw)
	p = ts.do("dana", "POST", "/v1/definitions", callsOnboarding, yaml)
	must.Equal(t, http.StatusCreated, p.status, p.raw)
}

// TestPublishRefusesNUL is issue 14 item 3 for definitions: a NUL character,
// raw or written as an escape, is refused with its position (it answered 500:
// Postgres cannot store it).
func TestPublishRefusesNUL(t *testing.T) {
	ts := newTestServer(t, Config{})
	yaml := http.Header{"Content-Type": {"application/yaml"}}
	for src, want := range map[string]map[string]any{
		"key: nul\nsteps:\n  - {id: a, assignee: requester, title: \"A\\0B\"}\n": {"line": 3.0, "column": 41.0,
			"message": `text in a definition cannot contain the NUL character (\0)`},
		"key: nul\nsteps:\n  - {id: a, assignee: requester, title: A\x00B}\n": {"line": 3.0, "column": 42.0,
			"message": `the NUL character (\0) is not allowed in a definition`},
	} {
		p := ts.do("dana", "POST", "/v1/definitions", src, yaml)
		must.Equal(t, http.StatusUnprocessableEntity, p.status, p.raw)
		must.Equal(t, []any{want}, p.body["errors"], src)
	}
}
