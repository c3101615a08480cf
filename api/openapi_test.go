package api

import (
	"context"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	must "github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/audit"
	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/outbox"
	"github.com/handoffhq/handoff/workflows"
)

// loadOpenAPI loads and validates the embedded document.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openAPI)
	must.NoError(t, err)
	must.NoError(t, doc.Validate(context.Background()))
	return doc
}

func TestOpenAPIDocumentValid(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	must.True(t, doc.IsOpenAPI31OrLater(), "the document is OpenAPI 3.1")
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			must.NotEmpty(t, op.Summary, "%s %s has a summary", method, path)
			must.NotEmpty(t, op.Description, "%s %s has a description", method, path)
			must.Len(t, op.Tags, 1, "%s %s has one tag", method, path)
			must.NotEmpty(t, op.OperationID, "%s %s has an operationId", method, path)
		}
	}
}

var echoParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// TestOpenAPIRoutesDocumented: every route the server has is documented with the same
// method and path, and every documented operation is a route.
func TestOpenAPIRoutesDocumented(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	// Metrics on, so that /metrics is routed too; the codec routes always are.
	ts := newTestServer(t, Config{Metrics: prometheus.NewRegistry()})
	var routes []string
	for _, r := range ts.srv.echo.Routes() {
		if r.Method == echo.RouteNotFound { // the catch-alls Echo adds for group middleware
			continue
		}
		routes = append(routes, r.Method+" "+echoParam.ReplaceAllString(r.Path, "{$1}"))
	}
	must.ElementsMatch(t, documentedOperations(doc), routes)
}

// documentedOperations lists the document's operations as "METHOD /path".
func documentedOperations(doc *openapi3.T) []string {
	var ops []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	return ops
}

// TestOpenAPISecurity: an operation documented as needing a key answers 401 without one,
// and one documented with `security: []` does not.
func TestOpenAPISecurity(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	ts := newTestServer(t, Config{Metrics: prometheus.NewRegistry()})
	pathParam := regexp.MustCompile(`\{[^}]+\}`)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			security := doc.Security
			if op.Security != nil {
				security = *op.Security
			}
			optional := slices.ContainsFunc(security, func(r openapi3.SecurityRequirement) bool { return len(r) == 0 })
			if optional && len(security) > 0 {
				continue // a key or another credential (the codec session form): not decidable here
			}
			target := pathParam.ReplaceAllString(path, "x")
			if method == http.MethodGet && path == "/readyz" {
				continue // needs a Temporal client, which this server has not
			}
			res := ts.do("", method, target, nil, nil)
			if len(security) == 0 {
				must.NotEqual(t, http.StatusUnauthorized, res.status, "%s %s is public: %s", method, path, res.raw)
			} else {
				must.Equal(t, http.StatusUnauthorized, res.status, "%s %s needs a key: %s", method, path, res.raw)
			}
		}
	}
}

// TestOpenAPIServed: GET /openapi.yaml answers the document, without a key.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	res := ts.do("", http.MethodGet, "/openapi.yaml", nil, nil)
	must.Equal(t, http.StatusOK, res.status)
	must.Equal(t, "application/yaml", res.header.Get("Content-Type"))
	must.Equal(t, string(openAPI), res.raw)
}

// TestOpenAPIEnums: the enumerations of the document are the ones the code knows.
func TestOpenAPIEnums(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	tests := []struct {
		schema string // a component schema, or "Component.property"
		want   []string
	}{
		{"FormField.type", definitions.FieldTypes},
		{"SubscriptionEvent", outbox.EventTypes()},
		{"OverlapPolicy", slices.Collect(maps.Keys(overlapPolicies))},
		{"Role", slices.Collect(maps.Keys(roleRank))},
		{"RunStatus", []string{workflows.StatusRunning, workflows.StatusCompleted, workflows.StatusFailed, workflows.StatusCancelled}},
		{"Task.status", []string{workflows.TaskOpen, workflows.TaskCompleted, workflows.TaskCancelled}},
		{"Step.status", []string{workflows.StepPending, workflows.StepActive, workflows.StepCompleted,
			workflows.StepSkipped, workflows.StepFailed, workflows.StepCancelled}},
		{"Task.kind", []string{string(definitions.KindTask), string(definitions.KindApproval), workflows.KindFixIt}},
	}
	for _, tc := range tests {
		t.Run(tc.schema, func(t *testing.T) {
			name, prop, _ := strings.Cut(tc.schema, ".")
			ref := doc.Components.Schemas[name]
			must.NotNil(t, ref, "schema %s", name)
			if prop != "" {
				ref = ref.Value.Properties[prop]
				must.NotNil(t, ref, "property %s", tc.schema)
			}
			var got []string
			for _, v := range ref.Value.Enum {
				got = append(got, v.(string))
			}
			must.ElementsMatch(t, tc.want, got)
		})
	}
}

// TestAuditKindsDocumented: every kind an audit trail can hold is named in openapi.yaml
// and in docs/evidence.md's table.
func TestAuditKindsDocumented(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	desc := doc.Components.Schemas["AuditEvent"].Value.Properties["kind"].Value.Description
	evidence, err := os.ReadFile("../docs/evidence.md")
	must.NoError(t, err)
	for _, k := range audit.Kinds {
		must.Regexp(t, `(^|[\s,])`+regexp.QuoteMeta(k)+`[,.\s]`, desc, "openapi.yaml's AuditEvent.kind names %s", k)
		must.Contains(t, string(evidence), "`"+k+"`", "docs/evidence.md names %s", k)
	}
}
