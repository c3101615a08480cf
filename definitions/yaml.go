package definitions

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
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
	value  any    // typed value: string, int64, uint64, float64, bool or nil
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

// get returns the value of key in a mapping, or nil.
func (n *node) get(key string) *node {
	for i, k := range n.keys {
		if k.text == key {
			return n.vals[i]
		}
	}
	return nil
}

// parseYAML turns source into a node tree, rejecting multiple documents and
// expansions beyond maxNodes.
func parseYAML(src []byte) (root *node, err error) {
	defer func() {
		if r := recover(); r != nil { // the YAML library must never take a request down
			root, err = nil, fmt.Errorf("YAML could not be parsed: %v", r)
		}
	}()
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return nil, err
	}
	var docs []*ast.DocumentNode
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		return nil, nil
	}
	if len(docs) > 1 {
		return nil, errPos{posOf(docs[1].Body), "a definition is one YAML document; remove the extra \"---\""}
	}
	c := &converter{anchors: map[string]*node{}}
	return c.convert(docs[0].Body)
}

// errPos is a positioned error from the YAML stage.
type errPos struct {
	pos *token.Position
	msg string
}

func (e errPos) Error() string { return e.msg }

func posOf(n ast.Node) *token.Position {
	if n == nil || n.GetToken() == nil {
		return nil
	}
	return n.GetToken().Position
}

type converter struct {
	anchors map[string]*node
	total   int
}

var errTooBig = errors.New("the document is too large once YAML aliases are expanded (more than 100000 nodes)")

func (c *converter) convert(n ast.Node) (*node, error) {
	out, err := c.node(n)
	if err != nil {
		return nil, err
	}
	c.total += out.size
	if c.total > maxNodes {
		return nil, errTooBig
	}
	return out, nil
}

func (c *converter) node(n ast.Node) (*node, error) {
	if n == nil {
		return &node{kind: scalarNode, size: 1}, nil
	}
	tk := n.GetToken()
	out := &node{kind: scalarNode, size: 1}
	if tk != nil && tk.Position != nil {
		out.line, out.col = tk.Position.Line, tk.Position.Column
	}
	switch v := n.(type) {
	case *ast.MappingNode:
		return c.mapping(out, v.Values)
	case *ast.MappingValueNode:
		return c.mapping(out, []*ast.MappingValueNode{v})
	case *ast.SequenceNode:
		return c.sequence(out, v)
	case *ast.AnchorNode:
		val, err := c.node(v.Value)
		if err != nil {
			return nil, err
		}
		c.anchors[v.Name.GetToken().Value] = val
		return val, nil
	case *ast.AliasNode:
		name := v.Value.GetToken().Value
		val, ok := c.anchors[name]
		if !ok {
			return nil, errPos{posOf(v), fmt.Sprintf("unknown YAML alias *%s", name)}
		}
		return val, nil
	case *ast.TagNode:
		return c.node(v.Value)
	case *ast.MappingKeyNode:
		return c.node(v.Value)
	case *ast.LiteralNode:
		out.text, out.value, out.block = v.Value.Value, v.Value.Value, true
	case *ast.StringNode:
		out.text, out.value = v.Value, v.Value
		out.quoted = tk.Type == token.SingleQuoteType || tk.Type == token.DoubleQuoteType
	default:
		c.scalar(out, n, tk)
	}
	return out, nil
}

func (c *converter) scalar(out *node, n ast.Node, tk *token.Token) {
	if tk != nil {
		out.text = tk.Value
	}
	switch v := n.(type) {
	case *ast.IntegerNode:
		out.value = v.Value
	case *ast.FloatNode:
		out.value = v.Value
	case *ast.BoolNode:
		out.value = v.Value
	case *ast.NullNode:
		out.value, out.text = nil, ""
	default:
		out.value = out.text
	}
}

func (c *converter) mapping(out *node, pairs []*ast.MappingValueNode) (*node, error) {
	out.kind = mapNode
	if len(pairs) > 0 && pairs[0].Key != nil {
		if p := posOf(pairs[0].Key); p != nil {
			out.line, out.col = p.Line, p.Column
		}
	}
	for _, pair := range pairs {
		if _, ok := pair.Key.(*ast.MergeKeyNode); ok {
			if err := c.merge(out, pair.Value); err != nil {
				return nil, err
			}
			continue
		}
		k, err := c.node(pair.Key)
		if err != nil {
			return nil, err
		}
		v, err := c.node(pair.Value)
		if err != nil {
			return nil, err
		}
		if pair.Value == nil || isNullValue(pair.Value) {
			v.line, v.col = k.line, k.col+len(k.text)+1
		}
		out.keys, out.vals = append(out.keys, k), append(out.vals, v)
		out.size += k.size + v.size
		if out.size > maxNodes {
			return nil, errTooBig
		}
	}
	return out, nil
}

func isNullValue(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return ok && strings.TrimSpace(n.GetToken().Value) == ""
}

// merge applies a "<<" merge key: keys not already present are copied in.
func (c *converter) merge(out *node, value ast.Node) error {
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
			return errPos{posOf(value), "a YAML merge (<<) needs a mapping"}
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

func (c *converter) sequence(out *node, v *ast.SequenceNode) (*node, error) {
	out.kind = seqNode
	for _, item := range v.Values {
		it, err := c.node(item)
		if err != nil {
			return nil, err
		}
		out.items = append(out.items, it)
		out.size += it.size
		if out.size > maxNodes {
			return nil, errTooBig
		}
	}
	return out, nil
}
