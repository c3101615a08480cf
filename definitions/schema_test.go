package definitions

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

type schemaNode struct {
	Properties map[string]json.RawMessage `json:"properties"`
	Defs       map[string]json.RawMessage `json:"$defs"`
	Enum       []string                   `json:"enum"`
}

func schemaKeys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var n schemaNode
	require.NoError(t, json.Unmarshal(raw, &n))
	keys := make([]string, 0, len(n.Properties))
	for k := range n.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return slices.Compact(out)
}

// TestSchemaMatchesParser keeps schema.json in step with the keys the parser accepts.
func TestSchemaMatchesParser(t *testing.T) {
	t.Parallel()
	var root schemaNode
	require.NoError(t, json.Unmarshal(Schema, &root))
	rootRaw, _ := json.Marshal(map[string]any{"properties": root.Properties})
	require.Equal(t, sorted(topKeys), schemaKeys(t, rootRaw), "top level")
	defs := map[string][]string{
		"role":       roleKeys,
		"trigger":    triggerKeys,
		"field":      fieldKeys[:],
		"step":       allStepKeys(),
		"route":      {"when", "goto", "max_rounds"},
		"branch":     {"id", "when", "steps"},
		"reminder":   {"before", "after", "every", "times", "notify"},
		"escalation": append([]string{"after"}, escalationActions...),
		"retry":      {"attempts", "interval", "backoff", "max_interval"},
	}
	for name, keys := range defs {
		require.Contains(t, root.Defs, name)
		require.Equal(t, sorted(keys), schemaKeys(t, root.Defs[name]), "$defs.%s", name)
	}
	var step struct {
		Properties struct {
			Kind schemaNode `json:"kind"`
		} `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(root.Defs["step"], &step))
	require.Equal(t, kindNames(), step.Properties.Kind.Enum)
	require.Equal(t, kindKeys(), schemaKindKeys(t, root.Defs["step"]), "$defs.step.allOf: the keys of each kind")
	var field struct {
		Properties struct {
			Type schemaNode `json:"type"`
		} `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(root.Defs["field"], &field))
	require.Equal(t, FieldTypes, field.Properties.Type.Enum)
}

// kindKeys lists the keys each kind accepts, from the kind declarations.
func kindKeys() map[string][]string {
	out := map[string][]string{}
	for _, k := range kinds {
		out[string(k.name)] = k.knownKeys()
	}
	return out
}

// schemaKindKeys reads the step schema's per-kind rules: if kind is K (or,
// for task, absent) then the property names are these.
func schemaKindKeys(t *testing.T, raw json.RawMessage) map[string][]string {
	t.Helper()
	var step struct {
		AllOf []struct {
			If struct {
				Properties struct {
					Kind struct {
						Const string `json:"const"`
					} `json:"kind"`
				} `json:"properties"`
				Required []string `json:"required"`
			} `json:"if"`
			Then struct {
				PropertyNames schemaNode `json:"propertyNames"`
			} `json:"then"`
		} `json:"allOf"`
	}
	require.NoError(t, json.Unmarshal(raw, &step))
	out := map[string][]string{}
	for _, rule := range step.AllOf {
		k := rule.If.Properties.Kind.Const
		require.Equal(t, k != string(KindTask), slices.Contains(rule.If.Required, "kind"),
			"the rule for %s must require kind unless it is task, the default", k)
		out[k] = sorted(rule.Then.PropertyNames.Enum)
	}
	return out
}

// TestSchemaValidatesDefinitions runs the JSON Schema, as an editor would,
// over every example and valid test definition (all must pass) and over steps
// whose keys do not apply to their kind (each must fail).
func TestSchemaValidatesDefinitions(t *testing.T) {
	t.Parallel()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("schema.json", doc))
	sch, err := c.Compile("schema.json")
	require.NoError(t, err)
	files, err := filepath.Glob("examples/*.yaml")
	require.NoError(t, err)
	valid, err := filepath.Glob("testdata/valid/*.yaml")
	require.NoError(t, err)
	for _, f := range append(files, valid...) {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, sch.Validate(yamlAsJSON(t, src)), f)
	}
	for _, step := range []string{
		"{id: a, assignee: requester, url: 'https://example.com'}",          // task (no kind) with an http key
		"{id: a, kind: approval, assignee: requester, outcomes: [x]}",       // outcomes are a task's
		"{id: a, kind: set, values: {x: '1'}, form: [{id: f}]}",             // set has no form
		"{id: a, kind: http, url: 'https://example.com', message: hi}",      // message is notify's
		"{id: a, kind: end, outcome: done, inputs: {x: '1'}}",               // inputs are a subprocess's
		"{id: a, kind: wait, for: 1 day, assignee: requester}",              // wait has no assignee
		"{id: a, kind: decision, rules: [], default: a, max_round: 2}",      // a typo
		"{id: a, kind: notify, message: hi, to: requester, save: {x: '1'}}", // save is http's
	} {
		src := "key: k\nsteps:\n  - " + step + "\n"
		require.Error(t, sch.Validate(yamlAsJSON(t, []byte(src))), step)
		_, err := Compile([]byte(src))
		require.Error(t, err, "the parser must refuse what the schema refuses: %s", step)
	}
}

// yamlAsJSON decodes YAML into the values a JSON decoder gives.
func yamlAsJSON(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	require.NoError(t, yaml.Unmarshal(src, &v))
	b, err := json.Marshal(v)
	require.NoError(t, err)
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	return out
}
