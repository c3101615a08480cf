package definitions

import (
	"regexp"
	"slices"

	"time"
)

var fieldKeys = [...]string{"id", "label", "type", "help", "required", "default", "min", "max",
	"pattern", "options", "visible_when", "validate", "fields"}

// fieldNodes holds the value nodes of a field's keys, in the order of fieldKeys.
type fieldNodes [len(fieldKeys)]*node

// get returns the value node of key, or nil.
func (f *fieldNodes) get(key string) *node {
	if i := slices.Index(fieldKeys[:], key); i >= 0 {
		return f[i]
	}
	return nil
}

// fieldList reads a form: a list of fields whose expressions see the form itself as `form`.
func (c *compiler) fieldList(n *node, path string, s *scope) []Field {
	fs := &scope{key: path, form: new([]Field)}
	if s != nil && s.form != nil {
		fs = s
	}
	out := c.fields(n, path, fs)
	if fs.form != nil && len(*fs.form) == 0 {
		*fs.form = out
	}
	return out
}

func (c *compiler) fields(n *node, path string, s *scope) []Field {
	items := c.list(n, path)
	out := make([]Field, 0, len(items))
	ids := map[string]bool{}
	for i, it := range items {
		fp := index(path, i)
		f := c.field(it, fp, s)
		if f.ID != "" && ids[f.ID] {
			c.errs.at(it.get("id"), join(fp, "id"), "duplicate field id %q", f.ID)
		}
		ids[f.ID] = true
		out = append(out, f)
	}
	return out
}

func (c *compiler) field(n *node, path string, s *scope) Field {
	f := Field{Type: TypeText}
	if n.kind != mapNode {
		c.errs.at(n, path, "a field is a mapping with at least an id, got %s", describe(n))
		return f
	}
	var nodes fieldNodes
	c.eachKey(n, path, fieldKeys[:], func(key string, v *node) bool {
		i := slices.Index(fieldKeys[:], key)
		if i < 0 {
			return false
		}
		nodes[i] = v
		return true
	})
	if v := nodes.get("type"); v != nil {
		f.Type = c.oneOf(v, join(path, "type"), FieldTypes...)
	}
	if v := nodes.get("id"); v != nil {
		f.ID = c.ident(v, join(path, "id"), "field id")
	} else {
		c.errs.at(n, path, "a field needs an id")
	}
	c.fieldBasics(&f, &nodes, path, s)
	c.fieldRules(&f, &nodes, path, s)
	return f
}

func (c *compiler) fieldBasics(f *Field, nodes *fieldNodes, path string, s *scope) {
	f.Label = humanize(f.ID)
	if v := nodes.get("label"); v != nil {
		f.Label = c.str(v, join(path, "label"))
	}
	if v := nodes.get("help"); v != nil {
		f.Help = c.str(v, join(path, "help"))
	}
	if v := nodes.get("required"); v != nil {
		f.Required = c.boolean(v, join(path, "required"))
	}
	if v := nodes.get("options"); v != nil {
		f.Options = c.options(v, join(path, "options"), f.Type)
	} else if f.Type == TypeSelect || f.Type == TypeMultiSelect {
		c.errs.at(nodes.get("type"), join(path, "type"), "%s field needs options", article(f.Type))
	}
	if v := nodes.get("fields"); v != nil {
		c.tableFields(f, v, join(path, "fields"), s)
	} else if f.Type == TypeTable {
		c.errs.at(nodes.get("type"), join(path, "type"), "a table field needs fields (its columns)")
	}
	if v := nodes.get("default"); v != nil {
		f.Default = c.defaultValue(f, v, join(path, "default"))
	}
}

func (c *compiler) tableFields(f *Field, v *node, path string, s *scope) {
	if f.Type != TypeTable {
		c.errs.at(v, path, "only table fields have fields")
		return
	}
	rs := &scope{key: path, form: s.form, row: new([]Field)}
	f.Fields = c.fields(v, path, rs)
	*rs.row = f.Fields
	for i, sub := range f.Fields {
		if sub.Type == TypeTable {
			c.errs.at(v.items[i], index(path, i), "a table cannot contain another table")
		}
	}
}

func (c *compiler) fieldRules(f *Field, nodes *fieldNodes, path string, s *scope) {
	for _, k := range []string{"min", "max"} {
		v := nodes.get(k)
		if v == nil {
			continue
		}
		if !hasBounds(f.Type) {
			c.errs.at(v, join(path, k), "%s does not apply to %s field", k, article(f.Type))
			continue
		}
		if k == "min" {
			f.Min = c.number(v, join(path, k))
		} else {
			f.Max = c.number(v, join(path, k))
		}
	}
	if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
		c.errs.at(nodes.get("max"), join(path, "max"), "max (%v) is less than min (%v)", *f.Max, *f.Min)
	}
	if v := nodes.get("pattern"); v != nil {
		f.Pattern = c.pattern(v, join(path, "pattern"), f.Type)
	}
	if v := nodes.get("visible_when"); v != nil {
		f.VisibleWhen = c.expr(v, join(path, "visible_when"), s, wantBool)
	}
	if v := nodes.get("validate"); v != nil {
		f.Validate = c.rules(v, join(path, "validate"), s)
	}
}

func hasBounds(t string) bool {
	switch t {
	case TypeNumber, TypeText, TypeLongText, TypeMultiSelect, TypeTable:
		return true
	}
	return false
}

func (c *compiler) pattern(n *node, path, typ string) string {
	s := c.str(n, path)
	switch typ {
	case TypeText, TypeLongText, TypeEmail, TypeURL:
	default:
		c.errs.at(n, path, "pattern does not apply to %s field", article(typ))
		return s
	}
	if _, err := regexp.Compile(s); err != nil {
		c.errs.at(n, path, "invalid pattern: %v", err)
	}
	return s
}

func (c *compiler) options(n *node, path, typ string) []Option {
	if typ != TypeSelect && typ != TypeMultiSelect {
		c.errs.at(n, path, "options apply only to select and multi_select fields")
		return nil
	}
	items := c.list(n, path)
	out := make([]Option, 0, len(items))
	seen := map[string]bool{}
	for i, it := range items {
		op := index(path, i)
		o := c.option(it, op)
		if seen[o.Value] {
			c.errs.at(it, op, "duplicate option %q", o.Value)
		}
		seen[o.Value] = true
		out = append(out, o)
	}
	if len(items) == 0 && n.kind == seqNode {
		c.errs.at(n, path, "options must not be empty")
	}
	return out
}

func (c *compiler) option(n *node, path string) Option {
	if n.kind == scalarNode {
		v := c.str(n, path)
		return Option{Value: v, Label: v}
	}
	var o Option
	c.keys(n, path, []string{"value", "label"}, func(key string, v *node, p string) bool {
		switch key {
		case "value":
			o.Value = c.str(v, p)
		case "label":
			o.Label = c.str(v, p)
		default:
			return false
		}
		return true
	})
	if o.Value == "" && n.kind == mapNode {
		c.errs.at(n, path, "an option needs a value")
	}
	if o.Label == "" {
		o.Label = o.Value
	}
	return o
}

func (c *compiler) rules(n *node, path string, s *scope) []Rule {
	var out []Rule
	for i, it := range c.list(n, path) {
		rp := index(path, i)
		var r Rule
		c.keys(it, rp, []string{"expr", "message"}, func(key string, v *node, p string) bool {
			switch key {
			case "expr":
				r.Expr = c.expr(v, p, s, wantBool)
			case "message":
				r.Message = c.str(v, p)
			default:
				return false
			}
			return true
		})
		if it.kind == mapNode && (it.get("expr") == nil || r.Message == "") {
			c.errs.at(it, rp, "a validate rule needs expr and message")
		}
		out = append(out, r)
	}
	return out
}

// defaultValue checks a default against the field type and returns it as JSON data.
func (c *compiler) defaultValue(f *Field, n *node, path string) any {
	v := yamlToData(n)
	if f.Type == TypeNumber {
		if i, ok := v.(int64); ok {
			v = float64(i)
		}
	}
	if f.Type == TypeTable || f.Type == TypeFile {
		c.errs.at(n, path, "%s field cannot have a default", article(f.Type))
		return nil
	}
	if msg := checkValue(f, v, time.UTC); msg != "" {
		c.errs.at(n, path, "default %s", msg)
		return nil
	}
	return v
}

// yamlToData converts a node to plain data as JSON would carry it.
func yamlToData(n *node) any {
	switch n.kind {
	case mapNode:
		m := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			m[k.text] = yamlToData(n.vals[i])
		}
		return m
	case seqNode:
		l := make([]any, len(n.items))
		for i, it := range n.items {
			l[i] = yamlToData(it)
		}
		return l
	}
	switch x := n.val().(type) {
	case uint64:
		return float64(x)
	case int64:
		return x
	}
	return n.val()
}
