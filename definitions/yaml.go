package definitions

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	goccy "github.com/goccy/go-yaml/parser"
	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the YAML tree after alias expansion, so an alias bomb is
// rejected in milliseconds instead of being expanded.
const maxNodes = 100_000

type nodeKind int

const (
	scalarNode nodeKind = iota
	mapNode
	seqNode
)

// node is a YAML node with its position, decoupled from the YAML library.
type node struct {
	kind      nodeKind
	line, col int
	// scalars
	text   string // the scalar's value as written, unquoted
	value  any    // the typed value: string, int64, uint64, float64, bool or nil
	quoted bool   // written in single or double quotes
	block  bool   // written as a | or > block scalar
	// mappings: keys[i] is the key node of vals[i]
	keys, vals []*node
	// sequences
	items []*node
	// size is the number of nodes in this subtree, counting alias expansions.
	size int
}

func (n *node) isNull() bool { return n.kind == scalarNode && n.value == nil }

// val returns a scalar's typed value: string, int64, uint64, float64, bool or nil.
func (n *node) val() any { return n.value }

// get returns the value of key in a mapping, or nil.
func (n *node) get(key string) *node {
	for i, k := range n.keys {
		if k.text == key {
			return n.vals[i]
		}
	}
	return nil
}

// errPos is a positioned error from the YAML stage.
type errPos struct {
	line, col int
	msg       string
}

func (e errPos) Error() string { return e.msg }

var errTooBig = errors.New("the document is too large once YAML aliases are expanded (more than 100000 nodes)")

// parseYAML turns source into a node tree with go.yaml.in/yaml/v3, rejecting
// multiple documents and expansions beyond maxNodes. For a syntax error it asks
// goccy/go-yaml for a message with a column (yaml.v3 gives only the line).
func parseYAML(src []byte) (root *node, err error) {
	defer func() {
		if r := recover(); r != nil { // a YAML library must never take a request down
			root, err = nil, errPos{1, 1, fmt.Sprintf("YAML could not be parsed: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(src, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, errPos{extra.Line, 1, "a definition is one YAML document; remove the extra \"---\""}
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(src, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	c := &converter{done: map[*yaml.Node]*node{}, visiting: map[*yaml.Node]bool{}}
	return c.node(doc.Content[0])
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

var unknownAnchorRE = regexp.MustCompile(`unknown anchor '([^']+)' referenced`)

// syntaxError positions a YAML syntax error, preferring goccy's column.
func syntaxError(src []byte, err error) error {
	if m := unknownAnchorRE.FindStringSubmatch(err.Error()); m != nil {
		line, col := offsetPosition(src, bytes.Index(src, []byte("*"+m[1])))
		return errPos{line, col, "unknown YAML alias *" + m[1]}
	}
	if _, gerr := goccy.ParseBytes(src, 0); gerr != nil {
		line, col, msg := yamlErrorPosition(gerr)
		return errPos{line, col, "YAML syntax error: " + msg}
	}
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return errPos{line, 1, "YAML syntax error: " + m[2]}
	}
	return errPos{1, 1, "YAML syntax error: " + err.Error()}
}

type converter struct {
	done     map[*yaml.Node]*node // anchored nodes, converted once and shared by aliases
	visiting map[*yaml.Node]bool  // anchored nodes being converted: an alias to one is a cycle
	total    int
}

func (c *converter) node(n *yaml.Node) (*node, error) {
	if n.Anchor != "" { // only anchored nodes are shared or can be part of a cycle
		if out, ok := c.done[n]; ok {
			return out, nil
		}
		if c.visiting[n] {
			return nil, errPos{n.Line, n.Column, fmt.Sprintf("YAML anchor &%s contains an alias to itself", n.Anchor)}
		}
		c.visiting[n] = true
		defer delete(c.visiting, n)
	}
	out := &node{kind: scalarNode, line: n.Line, col: n.Column, size: 1}
	var err error
	switch n.Kind {
	case yaml.MappingNode:
		err = c.mapping(out, n)
	case yaml.SequenceNode:
		err = c.sequence(out, n)
	case yaml.AliasNode:
		return c.node(n.Alias)
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			return c.node(n.Content[0])
		}
	default:
		err = scalar(out, n)
	}
	if err != nil {
		return nil, err
	}
	if c.total += out.size; c.total > maxNodes*4 || out.size > maxNodes {
		return nil, errTooBig
	}
	if n.Anchor != "" {
		c.done[n] = out
	}
	return out, nil
}

// scalar converts a scalar the way yaml.v3 decodes it into an interface.
func scalar(out *node, n *yaml.Node) error {
	if strings.IndexByte(n.Value, 0) >= 0 {
		return errPos{n.Line, n.Column, "text in a definition cannot contain the NUL character (\\0)"}
	}
	out.text = n.Value
	out.quoted = n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
	out.block = n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	out.value = n.Value
	if n.Tag == "!!str" || n.Tag == "" {
		return nil
	}
	var v any
	if n.Decode(&v) != nil {
		return nil
	}
	switch x := v.(type) {
	case int:
		out.value = int64(x)
	case nil:
		out.value, out.text = nil, ""
	case string, bool, float64, int64, uint64:
		out.value = x // a string here may differ from the text (!!binary)
	}
	return nil
}

func (c *converter) mapping(out *node, n *yaml.Node) error {
	out.kind = mapNode
	out.keys = make([]*node, 0, len(n.Content)/2)
	out.vals = make([]*node, 0, len(n.Content)/2)
	if len(n.Content) > 0 {
		out.line, out.col = n.Content[0].Line, n.Content[0].Column
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.Tag == "!!merge" {
			if err := c.merge(out, vn); err != nil {
				return err
			}
			continue
		}
		k, err := c.node(kn)
		if err != nil {
			return err
		}
		v, err := c.node(vn)
		if err != nil {
			return err
		}
		if v.isNull() && vn.Value == "" {
			v = &node{kind: scalarNode, line: k.line, col: k.col + len(k.text) + 1, size: 1}
		}
		out.keys, out.vals = append(out.keys, k), append(out.vals, v)
		if out.size += k.size + v.size; out.size > maxNodes {
			return errTooBig
		}
	}
	return nil
}

// merge applies a "<<" merge key: keys not already present are copied in.
func (c *converter) merge(out *node, value *yaml.Node) error {
	src, err := c.node(value)
	if err != nil {
		return err
	}
	sources := []*node{src}
	if src.kind == seqNode {
		sources = src.items
	}
	for _, s := range sources {
		if s.kind != mapNode {
			return errPos{value.Line, value.Column, "a YAML merge (<<) needs a mapping"}
		}
		for i, k := range s.keys {
			if out.get(k.text) == nil {
				out.keys, out.vals = append(out.keys, k), append(out.vals, s.vals[i])
				out.size += k.size + s.vals[i].size
			}
		}
	}
	if out.size > maxNodes {
		return errTooBig
	}
	return nil
}

func (c *converter) sequence(out *node, n *yaml.Node) error {
	out.kind = seqNode
	out.items = make([]*node, 0, len(n.Content))
	for _, item := range n.Content {
		it, err := c.node(item)
		if err != nil {
			return err
		}
		out.items = append(out.items, it)
		if out.size += it.size; out.size > maxNodes {
			return errTooBig
		}
	}
	return nil
}

// offsetPosition converts a byte offset into a 1-based line and column (in characters).
func offsetPosition(src []byte, off int) (int, int) {
	if off < 0 {
		return 1, 1
	}
	start := bytes.LastIndexByte(src[:off], '\n') + 1
	return 1 + bytes.Count(src[:off], []byte("\n")), 1 + utf8.RuneCount(src[start:off])
}
