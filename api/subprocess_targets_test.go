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
