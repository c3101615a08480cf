package definitions

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// decoding helpers shared by the parsers: each reports a positioned error and
// returns a zero value, so parsing always continues.

var keyRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// MaxKeyLength bounds a definition key: it is part of every run id, URL and search
// attribute of the definition's runs (a run id, key and business key, is at most 1,000
// bytes in Temporal).
const MaxKeyLength = 64

// isIdent reports whether s matches ^[A-Za-z_][A-Za-z0-9_]*$ (a CEL
// identifier). It is called for every step and field id: a regexp costs more
// than the rest of reading the id.
func isIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_', i > 0 && '0' <= c && c <= '9':
		default:
			return false
		}
	}
	return s != ""
}

var celReserved = map[string]bool{"as": true, "break": true, "const": true, "continue": true,
	"else": true, "false": true, "for": true, "function": true, "if": true, "import": true,
	"in": true, "let": true, "loop": true, "package": true, "namespace": true, "null": true,
	"return": true, "true": true, "var": true, "void": true, "while": true}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// keys calls fn for each key of a mapping; fn returns false for a key it does
// not know, which is reported at the key's own position with a suggestion.
func (c *compiler) keys(n *node, path string, known []string, fn func(key string, v *node, p string) bool) bool {
	return c.eachKey(n, path, known, func(key string, v *node) bool { return fn(key, v, join(path, key)) })
}

// eachKey is keys for a caller that needs no key path (it is built for
// errors only: most keys of a definition are read without one).
func (c *compiler) eachKey(n *node, path string, known []string, fn func(key string, v *node) bool) bool {
	if n.kind != mapNode {
		c.errs.at(n, path, "expected a mapping of keys to values, got %s", describe(n))
		return false
	}
	var seen map[string]bool // large mappings only: small ones are searched
	if len(n.keys) > 16 {
		seen = make(map[string]bool, len(n.keys))
	}
	for i, k := range n.keys {
		key := k.text
		if seen != nil && seen[key] || seen == nil && slices.ContainsFunc(n.keys[:i], func(p *node) bool { return p.text == key }) {
			c.errs.at(k, join(path, key), "duplicate key %q", key)
			continue
		}
		if seen != nil {
			seen[key] = true
		}
		if !fn(key, n.vals[i]) {
			c.errs.at(k, join(path, key), "unknown key %q%s", key, suggest(key, known))
		}
	}
	return true
}

// suggest returns ` (did you mean "x"?)` for the closest known key, if close
// enough, or the list of known keys.
func suggest(key string, known []string) string {
	if best := closest(key, known); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return fmt.Sprintf("; expected one of: %s", strings.Join(sortedCopy(known), ", "))
}

// closest returns the known name closest to key, or "" when none is close enough.
func closest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := levenshtein(key, k); d < bestD || (d == bestD && k < best && best != "") {
			best, bestD = k, d
		}
	}
	if bestD > len(key)/2 {
		return ""
	}
	return best
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func describe(n *node) string {
	switch {
	case n.kind == mapNode:
		return "a mapping"
	case n.kind == seqNode:
		return "a list"
	case n.isNull():
		return "nothing"
	}
	return fmt.Sprintf("%q", n.text)
}

// str reads a scalar as text; numbers and booleans are taken as written.
func (c *compiler) str(n *node, path string) string {
	if n.kind != scalarNode || n.isNull() {
		c.errs.at(n, path, "expected text, got %s", describe(n))
		return ""
	}
	return n.text
}

// ident reads a name usable in CEL (letters, digits, underscores).
func (c *compiler) ident(n *node, path, what string) string {
	s := c.str(n, path)
	if s == "" {
		return ""
	}
	if !isIdent(s) || celReserved[s] {
		c.errs.at(n, path, "%s %q must start with a letter and contain only letters, digits and underscores (not a reserved word)", what, s)
	}
	return s
}

func (c *compiler) integer(n *node, path string, lo, hi int) int {
	var v int64
	switch x := n.val(); {
	case n.kind != scalarNode:
	case isInt(x):
		v = toInt64(x)
	default:
		c.errs.at(n, path, "expected a whole number, got %s", describe(n))
		return 0
	}
	if v < int64(lo) || v > int64(hi) {
		c.errs.at(n, path, "must be between %d and %d, got %d", lo, hi, v)
		return 0
	}
	return int(v)
}

func isInt(x any) bool {
	switch x.(type) {
	case int64, uint64:
		return true
	}
	return false
}

func toInt64(x any) int64 {
	switch v := x.(type) {
	case int64:
		return v
	case uint64:
		if v > math.MaxInt64 {
			return math.MaxInt64
		}
		return int64(v)
	}
	return 0
}

func (c *compiler) number(n *node, path string) *float64 {
	var f float64
	switch x := n.val(); {
	case n.kind == scalarNode && isInt(x):
		f = float64(toInt64(x))
	case n.kind == scalarNode && isFloat(x):
		f = x.(float64)
	default:
		c.errs.at(n, path, "expected a number, got %s", describe(n))
		return nil
	}
	return &f
}

func isFloat(x any) bool { _, ok := x.(float64); return ok }

func (c *compiler) boolean(n *node, path string) bool {
	b, ok := n.val().(bool)
	if n.kind != scalarNode || !ok {
		c.errs.at(n, path, "expected true or false, got %s", describe(n))
	}
	return b
}

// strList reads a list of texts; a single text counts as a one-item list.
func (c *compiler) strList(n *node, path string) []string {
	if n.kind == scalarNode && !n.isNull() {
		return []string{n.text}
	}
	if n.kind != seqNode {
		c.errs.at(n, path, "expected a list, got %s", describe(n))
		return nil
	}
	out := make([]string, 0, len(n.items))
	for i, it := range n.items {
		out = append(out, c.str(it, index(path, i)))
	}
	return out
}

func (c *compiler) list(n *node, path string) []*node {
	if n.kind != seqNode {
		c.errs.at(n, path, "expected a list, got %s", describe(n))
		return nil
	}
	return n.items
}

func (c *compiler) oneOf(n *node, path string, allowed ...string) string {
	s := c.str(n, path)
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	if s != "" {
		c.errs.at(n, path, "%q is not one of: %s", s, strings.Join(allowed, ", "))
	}
	return ""
}

func (c *compiler) duration(n *node, path string) Duration {
	s := c.str(n, path)
	if s == "" {
		return Duration{}
	}
	d, err := ParseDuration(s)
	if err != nil {
		c.errs.at(n, path, "%v", err)
	}
	return d
}

func (c *compiler) durationPtr(n *node, path string) *Duration {
	d := c.duration(n, path)
	return &d
}

// humanize turns an id into a label: "start_date" -> "Start date".
func humanize(id string) string {
	s := strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(id, "_", " "), "-", " "))
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
