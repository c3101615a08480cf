package definitions

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fastYAMLCases are documents written in the fast path's subset, with its
// edges, and documents it must leave to yaml.v3.
var fastYAMLCases = []string{
	"a: 1\n",
	"a: b\nc: d\n",
	"  a: 1\n  b:\n    - x\n    - y\n",
	"a:\n- x\n- y\nb: z\n",
	"- a: 1\n  b: 2\n- c: 3\n",
	"-   a: 1\n    b: [1, 2]\n-\n  c: 3\n",
	"- - a\n  - b\n- - c\n",
	"a:\n  - b:\n    - c\n    d: e\n",
	"a: {x: 1, y: 'it''s', z: \"q #\"}\n",
	"a: {}\nb: []\nc: [ {x: 1}, [2, 3] ]\n",
	"a: {  x:  1  ,  y: 2  }  # c\n",
	"# head\na: 1 # one\n\n   # indented comment\nb: x#y\nc: x #y\n",
	"a:\n",
	"a:\nb: 2\n",
	"a: # nothing\nb:\n  # c\n  c: 1\n",
	"a: ~\nb: null\nc: Null\nd: true\ne: False\nf: yes\ng: on\nh: n\n",
	"a: 0\nb: -0\nc: +1\nd: 007\ne: 0x1F\nf: 1_000\ng: 1.5\nh: -1.5e3\ni: .5\nj: 1e3\nk: 5.\n",
	"a: .inf\n", "a: -.inf\n", "a: .nan\n", "a: .x\n", "a: 0b101\n", "a: 0o17\n", "a: -0b1\n",
	"a: 2027-01-04\n", "a: 2027-1-4x\n", "a: 12345-6\n", "a: 99999999999999999999\n",
	"a: 2 business days\nb: 3h\nc: 1:20\nd: -x\ne: +\nf: -.5\n",
	"a: \"\"\nb: ''\nc: \"{{ x }}\"\nd: 'a\"b'\n",
	"a: \"x\\ny\"\n", "a: \"x\n  y\"\n", "a: 'x\n  y'\n",
	"a: b\n  c\n", "a:\n  b\n", "a: |\n  x\n", "a: >-\n  x\n",
	"a: &x 1\nb: *x\n", "a: !!str 1\n", "<<: {a: 1}\n", "a: {<<: 1}\n",
	"a: b: c\n", "a: b:\n", "a: - b\n", "a: -\n", "- a\nb: c\n", "a: 1\n- b\n",
	"a:\n  b: 1\n c: 2\n", "- a:\n   - b\n", "a: 1\n  b: 2\n",
	"a: {x: 1,}\n", "a: [1,]\n", "a: {x}\n", "a: {x: }\n", "a: {x:1}\n", "a: [x: 1]\n",
	"a: {x: 1\n", "a: [1, 2\n  , 3]\n", "a: {x: [1}\n", "a: [?x]\n", "a: {x: a:b}\n",
	"a: \"x\" y\n", "a: \"x\"#c\n", "a: 'x'\n", "\"a\": 1\n", "'a': 1\n", "? a\n: 1\n",
	"a:\tb\n", "a: b\r\n", "\ufeffa: 1\n", "a: b\u2028c\n", "a: b\u0085\n", "a: é\nb: {c: ü, d: 'ß'}\n",
	"ä: 1\nb: [x, \"ö\", y]\n",
	"---\na: 1\n", "a: 1\n---\nb: 2\n", "a: 1\n...\n", "%YAML 1.2\n---\na: 1\n",
	"a: 1\na: 2\n", "a: 1\nb: @x\n", "a: `x`\n", "a: %x\n", "a: *\n",
	"", "\n", "# only\n", "a\n", "- \n", "-\n- a\n", "[1, 2]\n", "{a: 1}\n", "  - a\n- b\n",
	"a:\n    - x\n  - y\n", "key: " + strings.Repeat("x", 2000) + "\n", strings.Repeat("k", 1100) + ": 1\n",
	"a: x\n\n\nb: y", "a: 1 \nb: 2   \n", "a    : 1\n",
	"true: 1\n1: 2\n1.5: 3\nnull: 4\n",
	"a: |\n  x\n  y\nb: 1\n", "a: |-\n  x\n\n  y\n\n\nb: 1\n", "a: >\n  x\n  y\n\n  z\n\n\n  w\nb: 1\n",
	"a: >-\n  x\n  y\n", "a: >-\n  x\n   y\n  z\n", "a: |\n  x\n   y\n  # not a comment\n# a comment\n",
	"- |\n  x\n- >\n x\n y\n", "- a: |\n    x\n  b: 1\n", "a: |  # c\n  x\n", "a: |2\n   x\n", "a: |+\n  x\n\n",
	"a: |\n\n  x\n", "a: |\n  x\n    \n  y\n", "a: |\n  x\n  \n  y\n", "a: |\n  x", "a: |\n  x\n\n", "a: |\nb: 1\n",
	"a: |\n x\n  b: 1\n", "a:\n  b: >\n    x  \n    y\n  c: |-\n    z\n", "a: |x\n  y\n", "a: |-2\n  y\n",
	"a: >\n  x\n\n   y\n", "a: |\n  é\n  ü: x\n",
}

// TestFastYAMLMatchesYAMLv3 checks that every document the fast path accepts
// gives the nodes yaml.v3 gives, over the cases above, the test data, the
// examples, the fuzz corpus and the benchmark definition.
func TestFastYAMLMatchesYAMLv3(t *testing.T) {
	t.Parallel()
	docs := append([]string(nil), fastYAMLCases...)
	files, err := filepath.Glob("testdata/*/*.yaml")
	require.NoError(t, err)
	examples, err := filepath.Glob("examples/*.yaml")
	require.NoError(t, err)
	for _, f := range append(files, examples...) {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		docs = append(docs, string(b))
	}
	docs = append(docs, fuzzCorpus(t, "testdata/fuzz/FuzzCompile")...)
	docs = append(docs, string(generated500()))
	accepted := 0
	for _, d := range docs {
		if checkFastYAML(t, []byte(d)) {
			accepted++
		}
	}
	t.Logf("fast path: %d of %d documents", accepted, len(docs))
	_, ok := fastYAML(generated500())
	require.True(t, ok, "the fast path gave up on the benchmark definition")
	for _, f := range examples {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		_, ok := fastYAML(b)
		t.Logf("%s: fast path %v", f, ok)
	}
}

// FuzzFastYAML checks the fast path against yaml.v3 on any input.
// Run: go test -fuzz FuzzFastYAML ./definitions/
func FuzzFastYAML(f *testing.F) {
	for _, d := range fastYAMLCases {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, src []byte) { checkFastYAML(t, src) })
}

// checkFastYAML reports whether the fast path accepts src, failing the test
// if its nodes differ from yaml.v3's.
func checkFastYAML(t *testing.T, src []byte) bool {
	t.Helper()
	fast, ok := fastYAML(src)
	if !ok {
		return false
	}
	slow, err := parseYAMLv3(src)
	if err != nil {
		t.Fatalf("the fast path accepted what yaml.v3 rejects (%v):\n%s", err, src)
	}
	var diff []string
	compareNodes(fast, slow, "$", &diff)
	if len(diff) > 0 {
		t.Fatalf("the fast path differs from yaml.v3 on\n%s\n%s", src, strings.Join(diff, "\n"))
	}
	return true
}

func compareNodes(a, b *node, path string, diff *[]string) {
	if a == nil || b == nil {
		if a != b {
			*diff = append(*diff, path+": nil and not nil")
		}
		return
	}
	scalarA := fmt.Sprintf("kind %d at %d:%d size %d text %q str %v value %#v quoted %v block %v",
		a.kind, a.line, a.col, a.size, a.text, a.str, a.value, a.quoted, a.block)
	scalarB := fmt.Sprintf("kind %d at %d:%d size %d text %q str %v value %#v quoted %v block %v",
		b.kind, b.line, b.col, b.size, b.text, b.str, b.value, b.quoted, b.block)
	if scalarA != scalarB {
		*diff = append(*diff, path+": fast "+scalarA+"\n   yaml.v3 "+scalarB)
	}
	if len(a.keys) != len(b.keys) || len(a.vals) != len(b.vals) || len(a.items) != len(b.items) {
		*diff = append(*diff, path+": different lengths")
		return
	}
	for i := range a.keys {
		compareNodes(a.keys[i], b.keys[i], fmt.Sprintf("%s.key%d", path, i), diff)
		compareNodes(a.vals[i], b.vals[i], fmt.Sprintf("%s.val%d", path, i), diff)
	}
	for i := range a.items {
		compareNodes(a.items[i], b.items[i], fmt.Sprintf("%s[%d]", path, i), diff)
	}
}

// fuzzCorpus reads the []byte inputs of a Go fuzz corpus directory.
func fuzzCorpus(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, line := range strings.Split(string(b), "\n") {
			if s, ok := strings.CutPrefix(line, "[]byte("); ok {
				if u, err := strconv.Unquote(strings.TrimSuffix(s, ")")); err == nil {
					out = append(out, u)
				}
			}
		}
	}
	return out
}
