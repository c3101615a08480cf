package definitions

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestPlainValueMatchesDecode checks the scalar fast path against what
// yaml.v3's Node.Decode gives for the same scalar.
func TestPlainValueMatchesDecode(t *testing.T) {
	t.Parallel()
	scalars := []string{
		"", "~", "null", "Null", "NULL", "nULL", "true", "True", "TRUE", "tRUE", "false", "False",
		"FALSE", "yes", "no", "on", "off", "y", "n",
		"0", "-0", "+0", "1", "-1", "+1", "007", "08", "0o17", "0x1F", "-0x1F", "0b101", "-0b101",
		"1_000", "12", "999999999999999999", "-999999999999999999", "1000000000000000000",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551615",
		"18446744073709551616", "1.5", "-1.5", ".5", "1e3", "1E3", ".inf", "-.Inf", ".nan", "2027-01-04",
		"2027-01-04T10:00:00Z", "1:20", "5000", "-x", "0.0", "!!str 5", "!!int 5", "!!null x",
		"!!bool true", "!!float 5", "'5'", `"true"`, "<<", "!!binary aGVsbG8=", "!!timestamp 2027-01-04",
	}
	for _, s := range scalars {
		var doc yaml.Node
		require.NoError(t, yaml.Unmarshal([]byte("k: "+s+"\n"), &doc), s)
		n := doc.Content[0].Content[1]
		var got, want node
		scalar(&got, n)
		decodeScalar(&want, n)
		require.Equal(t, want.text, got.text, s)
		require.Equal(t, want.isNull(), got.isNull(), s)
		require.Equal(t, fmt.Sprintf("%#v", want.value), fmt.Sprintf("%#v", got.val()), "%s (tag %s)", s, n.Tag) // NaN too
	}
}

// decodeScalar is how scalars were converted before the fast path and the str
// flag: every typed scalar through Node.Decode, the typed value in value.
func decodeScalar(out *node, n *yaml.Node) {
	out.text = n.Value
	out.quoted = n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
	out.block = n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	var v any
	if n.Tag == "!!str" || n.Tag == "" || n.Decode(&v) != nil {
		out.value = n.Value
		return
	}
	switch x := v.(type) {
	case int:
		out.value = int64(x)
	case nil:
		out.value, out.text = nil, ""
	case string, bool, float64, int64, uint64:
		out.value = x
	default:
		out.value = n.Value
	}
}
