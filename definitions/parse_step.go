package definitions

import (
	"slices"
	"strings"
)

// sequence is one ordered list of steps: the top level or a parallel branch.
type sequence struct {
	path string
	ids  []string
	pos  map[string]int // where each id first appears in ids, built by index
}

// index returns the position of the first step with id, or -1: a jump is
// checked against its sequence, so a long one is not searched for each jump.
func (s *sequence) index(id string) int {
	if s.pos == nil {
		s.pos = make(map[string]int, len(s.ids))
		for i := len(s.ids) - 1; i >= 0; i-- {
			s.pos[s.ids[i]] = i
		}
	}
	if i, ok := s.pos[id]; ok {
		return i
	}
	return -1
}

// sequence reads a list of steps; branch names the parallel branch ("" at top level).
func (c *compiler) sequence(n *node, path, branch string) []Step {
	items := c.list(n, path)
	seq := &sequence{path: path}
	c.seqs = append(c.seqs, seq)
	out := make([]Step, 0, len(items))
	for i, it := range items {
		sp := index(path, i)
		s := c.step(it, sp, seq)
		seq.ids = append(seq.ids, s.ID)
		out = append(out, s)
	}
	if len(items) == 0 && n.kind == seqNode {
		c.errs.at(n, path, "there must be at least one step")
	}
	return out
}

func (c *compiler) step(n *node, path string, seq *sequence) Step {
	s := Step{Kind: KindTask}
	if n.kind != mapNode {
		c.errs.at(n, path, "a step is a mapping with at least an id, got %s", describe(n))
		return s
	}
	if v := n.get("kind"); v != nil {
		s.Kind = StepKind(c.oneOf(v, join(path, "kind"), kindNames()...))
	}
	c.stepID(&s, n, path)
	k := kindOf(s.Kind) // nil for an unknown kind (already reported): only the common keys are read
	sc := &stepCtx{c: c, s: &s, n: n, path: path, seq: seq}
	c.keys(n, path, k.knownKeys(), func(key string, v *node, p string) bool {
		if sc.common(key, v, p) {
			return true
		}
		if k != nil {
			if decode, ok := k.keys[key]; ok {
				decode(sc, v, p)
				return true
			}
			if slices.Contains(allStepKeys(), key) {
				c.errs.at(n.keyNode(key), p, "%q does not apply to %s step", key, article(string(s.Kind)))
				return true
			}
		}
		return false
	})
	if s.Title == "" {
		s.Title = humanize(s.ID)
	}
	if k != nil && k.finish != nil {
		k.finish(sc)
	}
	return s
}

// keyNode returns the key node for key, or nil.
func (n *node) keyNode(key string) *node {
	for _, k := range n.keys {
		if k.text == key {
			return k
		}
	}
	return nil
}

func (c *compiler) stepID(s *Step, n *node, path string) {
	v := n.get("id")
	if v == nil {
		c.errs.at(n, path, "a step needs an id")
		return
	}
	s.ID = c.ident(v, join(path, "id"), "step id")
	if s.ID == "" {
		return
	}
	if prev, dup := c.stepNodes[s.ID]; dup {
		c.errs.at(v, join(path, "id"), "duplicate step id %q (first declared at line %d)", s.ID, prev.line)
		return
	}
	c.stepNodes[s.ID], c.stepPaths[s.ID] = v, path
}

// stepCtx decodes one step's keys.
type stepCtx struct {
	c    *compiler
	s    *Step
	n    *node
	path string
	seq  *sequence
}

// common reads one of commonStepKeys; false for any other key.
func (sc *stepCtx) common(key string, v *node, p string) bool {
	c, s := sc.c, sc.s
	switch key {
	case "id", "kind": // read first, by step
	case "title":
		s.Title = c.tmpl(v, p, runScope)
	case "description":
		s.Description = c.tmpl(v, p, runScope)
	case "when":
		s.When = c.expr(v, p, runScope, wantBool)
	case "next":
		s.Next = sc.jump(v, p, &s.MaxRounds)
	case "max_rounds":
		s.MaxRounds = c.integer(v, p, 1, 1000)
	default:
		return false
	}
	return true
}

// jump records a reference to a step of the same sequence; bound points at the
// max_rounds that must be set if the jump goes backwards.
func (sc *stepCtx) jump(v *node, p string, bound *int) string {
	target := sc.c.str(v, p)
	if target != "" {
		sc.c.refs = append(sc.c.refs, stepRef{n: v, path: p, target: target, kind: refJump,
			from: sc.s.ID, seq: sc.seq, bound: bound})
	}
	return target
}

func (sc *stepCtx) role(v *node, p string) string {
	name := sc.c.str(v, p)
	if name != "" {
		sc.c.refs = append(sc.c.refs, stepRef{n: v, path: p, target: name, kind: refRole})
	}
	return name
}

func (sc *stepCtx) roles(v *node, p string) []string {
	names := sc.c.strList(v, p)
	for i, name := range names {
		at := v
		if v.kind == seqNode {
			at = v.items[i]
		}
		sc.c.refs = append(sc.c.refs, stepRef{n: at, path: p, target: name, kind: refRole})
	}
	return names
}

// article prefixes a word with "a" or "an".
func article(w string) string {
	if w != "" && strings.ContainsRune("aeiou", rune(w[0])) {
		return "an " + w
	}
	return "a " + w
}
