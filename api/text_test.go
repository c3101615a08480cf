package api

import (
	"strings"
	"testing"

	must "github.com/stretchr/testify/require"
)

// TestCheckJSONText: a text that cannot be stored is found wherever it is, and named by
// its path; everything else passes.
func TestCheckJSONText(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", MaxTextBytes+1)
	for _, tc := range []struct {
		body, field, message string
	}{
		{`{"inputs": {"name": "Jo"}, "business_key": "K-1"}`, "", ""},
		{`{"inputs": {"name": "J\u0000o"}}`, "inputs.name", "NUL"},
		{`{"data": {"items": [{"note": "ok"}, {"note": "a\u0000"}]}}`, "data.items[1].note", "NUL"},
		{`{"data": {"rows": [[1, 2], ["x", "\u0000"]]}}`, "data.rows[1][1]", "NUL"},
		{`{"comment": "` + "\xff" + `"}`, "comment", "UTF-8"},
		{`{"data": {"a": 1, "b": ["ok", "caf` + "\xc3" + `"]}}`, "data.b[1]", "UTF-8"},
		{`{"data": {"k` + "\xfe" + `y": 1}}`, "data.\"k\ufffdy\"", "member name"},
		{`{"inputs": {"a\u0000": 1}}`, `inputs."a\x00"`, "member name"},
		{`{"reason": "` + long + `"}`, "reason", "longer than"},
		{`{"to": "bob", "comment": "\\u0000 is only text here"}`, "", ""}, // an escaped backslash
		{`{"a": [1, {"b": {"c": [true, null, "\u0000"]}}]}`, "a[1].b.c[2]", "NUL"},
		{`{"broken": `, "", ""}, // malformed: the decoder reports it
	} {
		err := checkJSONText([]byte(tc.body))
		if tc.field == "" {
			must.NoError(t, err, tc.body)
			continue
		}
		p := toProblem(err)
		must.NotNil(t, p, tc.body)
		must.Equal(t, 422, p.Status)
		fe := p.Errors
		must.Len(t, fe, 1)
		must.Equal(t, tc.field, fe[0].Field, tc.body)
		must.Contains(t, fe[0].Message, tc.message)
	}
}

// TestRunKey: business keys map to run ids injectively, and a key that is already safe is
// its own id part (so the ids of existing runs still resolve).
func TestRunKey(t *testing.T) {
	t.Parallel()
	keys := []string{"日本", "😀", "PO.1", "PO 1", "PO-1", "PO~201", "PO_1", "po-1", "a/b", "a%2Fb", "~", "~7E",
		"-PO-", "PO", "e\u0301", "é", "", " ", "  ", "\ufffd"}
	seen := map[string]string{}
	for _, k := range keys {
		id := runKey(k)
		if other, dup := seen[id]; dup {
			t.Fatalf("%q and %q share the run id part %q", k, other, id)
		}
		seen[id] = k
		must.NotContains(t, id, "/", k)
		for _, c := range []byte(id) {
			must.True(t, c > ' ' && c < 0x7f, "%q: run ids are printable ASCII (%q)", k, id)
		}
		must.LessOrEqual(t, len(id), 3*len(k), k)
	}
	for k, want := range map[string]string{"PO-1": "PO-1", "Vendor_42": "Vendor_42", "PO.1": "PO.1",
		"PO 1": "PO~201", "日本": "~E6~97~A5~E6~9C~AC", "😀": "~F0~9F~98~80", "a/b": "a~2Fb", "~": "~7E"} {
		must.Equal(t, want, runKey(k), k)
	}
	// Safe keys keep the id they had before.
	for _, k := range []string{"PO-1", "Vendor_42", "abc", "A-B_c-9"} {
		must.Equal(t, legacyRunID("d", k), runID("d", k))
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	must.Equal(t, "short", clip("short", 400))
	c := clip(strings.Repeat("é", 300), 400) // 600 bytes
	must.LessOrEqual(t, len(c), 400)
	must.True(t, strings.HasSuffix(c, "…"))
	must.True(t, strings.HasPrefix(c, "éé"))
	must.Equal(t, unstorable(c), "")
}
