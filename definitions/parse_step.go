package definitions

import (
	"slices"
	"strings"
)

var commonStepKeys = []string{"id", "kind", "title", "description", "when", "next", "max_rounds"}

var humanKeys = []string{"assignee", "form", "due", "reminders", "escalations"}

var failureKeys = []string{"retry", "on_failure"}

// stepKeys lists the keys each kind accepts besides the common ones.
var stepKeys = map[StepKind][]string{
	KindTask:       append([]string{"outcomes"}, humanKeys...),
	KindApproval:   append([]string{"policy", "exclude_requester", "send_back_to"}, humanKeys...),
	KindDecision:   {"rules", "default"},
	KindParallel:   {"branches", "join"},
	KindWait:       {"for", "until", "event", "timeout", "on_timeout", "form"},
	KindHTTP:       append([]string{"method", "url", "headers", "secret_headers", "body", "timeout", "save"}, failureKeys...),
	KindNotify:     append([]string{"channel", "to", "addresses", "url", "url_secret", "subject", "message"}, failureKeys...),
	KindSet:        {"values"},
	KindSubprocess: {"definition", "version", "inputs"},
	KindEnd:        {"outcome", "outputs"},
}

// kindStepKeys lists every key a step of each kind accepts.
var kindStepKeys = func() map[StepKind][]string {
	out := map[StepKind][]string{}
	for k, keys := range stepKeys {
		out[k] = append(slices.Clone(commonStepKeys), keys...)
	}
	return out
}()

// allowedStepKeys lists the keys a step of kind accepts (only the common ones
// for an unknown kind). Do not modify the result.
func allowedStepKeys(kind StepKind) []string {
	if keys, ok := kindStepKeys[kind]; ok {
		return keys
	}
	return commonStepKeys
}

func allStepKeys() []string {
	out := append([]string(nil), commonStepKeys...)
	for _, k := range StepKinds {
		for _, key := range stepKeys[k] {
			if !slices.Contains(out, key) {
				out = append(out, key)
			}
		}
	}
	return out
}

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
	sc := &stepCtx{c: c, s: &s, n: n, path: path, seq: seq}
	allowed := allowedStepKeys(s.Kind)
	c.keys(n, path, allowed, func(key string, v *node, p string) bool {
		if !slices.Contains(allowed, key) {
			if slices.Contains(allStepKeys(), key) && s.Kind != "" {
				c.errs.at(n.keyNode(key), p, "%q does not apply to %s step", key, article(string(s.Kind)))
				return true
			}
			return false
		}
		sc.key(key, v, p)
		return true
	})
	sc.finish()
	return s
}

func kindNames() []string {
	out := make([]string, len(StepKinds))
	for i, k := range StepKinds {
		out[i] = string(k)
	}
	return out
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

func (sc *stepCtx) key(key string, v *node, p string) {
	c, s := sc.c, sc.s
	switch key {
	case "id", "kind":
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
		sc.kindKey(key, v, p)
	}
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

func (sc *stepCtx) finish() {
	c, s := sc.c, sc.s
	if s.Title == "" {
		s.Title = humanize(s.ID)
	}
	switch s.Kind {
	case KindTask, KindApproval:
		if s.Assignee == "" {
			c.errs.at(sc.n, sc.path, "%s step needs an assignee (a role name)", article(string(s.Kind)))
		}
		if len(s.Outcomes) == 0 && s.Kind == KindTask {
			s.Outcomes = []string{"completed"}
		}
		if s.Kind == KindApproval && s.Policy == "" {
			s.Policy = "any"
		}
		if (len(s.Reminders) > 0 || len(s.Escalations) > 0) && s.Due == nil {
			c.errs.at(sc.n, sc.path, "reminders and escalations need a due date (add due)")
		}
	case KindDecision:
		if s.Default == "" {
			c.errs.at(sc.n, sc.path, "a decision needs a default (the step to go to when no rule matches)")
		}
	default:
		sc.finishOther()
	}
}

// article prefixes a word with "a" or "an".
func article(w string) string {
	if w != "" && strings.ContainsRune("aeiou", rune(w[0])) {
		return "an " + w
	}
	return "a " + w
}
