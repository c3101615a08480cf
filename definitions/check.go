package definitions

import "slices"

type refKind int

const (
	refJump refKind = iota
	refRole
	refInput
)

// stepRef is a name used somewhere that must resolve: a jump target, a role,
// or an input set by a trigger.
type stepRef struct {
	n      *node
	path   string
	target string
	kind   refKind
	from   string    // jumps: the step jumping
	seq    *sequence // jumps: the sequence of that step
	bound  *int      // jumps: the max_rounds that bounds a jump back
}

func (c *compiler) checkReferences() {
	for _, r := range c.refs {
		switch r.kind {
		case refRole:
			if c.prog.Role(r.target) == nil {
				c.errs.at(r.n, r.path, "unknown role %q%s", r.target, suggest(r.target, c.roleNames()))
			}
		case refInput:
			if !slices.ContainsFunc(c.prog.Inputs, func(f Field) bool { return f.ID == r.target }) {
				c.errs.at(r.n, r.path, "unknown input %q: a trigger can only set declared inputs", r.target)
			}
		case refJump:
			c.checkJump(r)
		}
	}
	c.checkTriggerCoverage()
}

func (c *compiler) roleNames() []string {
	out := make([]string, len(c.prog.Roles))
	for i, r := range c.prog.Roles {
		out[i] = r.Name
	}
	return out
}

func (c *compiler) checkJump(r stepRef) {
	if _, ok := c.stepNodes[r.target]; !ok {
		c.errs.at(r.n, r.path, "unknown step %q%s", r.target, suggest(r.target, c.stepIDs()))
		return
	}
	to := r.seq.index(r.target)
	if to < 0 {
		c.errs.at(r.n, r.path, "step %q is not in the same list of steps: jumps cannot enter or leave a parallel branch", r.target)
		return
	}
	from := r.seq.index(r.from)
	if to <= from && (r.bound == nil || *r.bound == 0) {
		c.errs.at(r.n, r.path, "jumping back to %q makes a loop: add max_rounds to say how many times it may repeat", r.target)
	}
}

func (c *compiler) stepIDs() []string {
	out := make([]string, 0, len(c.stepNodes))
	for id := range c.stepNodes {
		out = append(out, id)
	}
	return out
}

// checkTriggerCoverage reports required inputs (without a default) that a
// trigger does not set.
func (c *compiler) checkTriggerCoverage() {
	for i, t := range c.prog.Triggers {
		if t.Name == "" {
			continue
		}
		for _, f := range c.prog.Inputs {
			if !f.Required || f.Default != nil {
				continue
			}
			if !slices.ContainsFunc(t.Inputs, func(a Assignment) bool { return a.Name == f.ID }) {
				c.errs.at(c.triggerNodes[i], index("triggers", i), "webhook %q does not set the required input %q", t.Name, f.ID)
			}
		}
	}
}

// checkFlow reports steps that no path reaches.
func (c *compiler) checkFlow() {
	c.flowSeq(c.prog.Steps)
}

func (c *compiler) flowSeq(steps []Step) {
	if len(steps) == 0 {
		return
	}
	index := map[string]int{}
	for i, s := range steps {
		index[s.ID] = i
	}
	reached := make([]bool, len(steps))
	var visit func(i int)
	visit = func(i int) {
		if i < 0 || i >= len(steps) || reached[i] {
			return
		}
		reached[i] = true
		for _, t := range successors(&steps[i]) {
			if t == "" {
				visit(i + 1)
			} else if j, ok := index[t]; ok {
				visit(j)
			}
		}
	}
	visit(0)
	for i := range steps {
		if !reached[i] && steps[i].ID != "" {
			n := c.stepNodes[steps[i].ID]
			c.errs.at(n, c.stepPaths[steps[i].ID], "step %q can never be reached: no step goes to it", steps[i].ID)
		}
		for _, b := range steps[i].Branches {
			c.flowSeq(b.Steps)
		}
	}
}
