package definitions

import (
	"encoding/json"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
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
	var field struct {
		Properties struct {
			Type schemaNode `json:"type"`
		} `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(root.Defs["field"], &field))
	require.Equal(t, FieldTypes, field.Properties.Type.Enum)
}
