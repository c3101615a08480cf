package definitions

import "github.com/google/cel-go/common/types"

// A parallel step runs branches concurrently and joins when all, any or a
// number of them complete. steps.<id>.data lists the branches that completed.

// KindParallel runs branches concurrently.
const KindParallel StepKind = "parallel"

// Branch is one concurrent sequence of a parallel step.
type Branch struct {
	ID    string `json:"id"`
	When  string `json:"when,omitempty"`
	Steps []Step `json:"steps"`
}

var parallelKind = kind{
	name: KindParallel,
	keys: map[string]decoder{
		"join": func(sc *stepCtx, v *node, p string) {
			if isInt(v.val()) {
				sc.s.Join, sc.s.JoinCount = "count", sc.c.integer(v, p, 1, 1000)
				return
			}
			sc.s.Join = sc.c.oneOf(v, p, "all", "any")
		},
		"branches": func(sc *stepCtx, v *node, p string) {
			for i, it := range sc.c.list(v, p) {
				sc.s.Branches = append(sc.s.Branches, sc.branch(it, index(p, i)))
			}
		},
	},
	finish: func(sc *stepCtx) {
		s, n := sc.s, sc.n
		if len(s.Branches) == 0 {
			sc.c.errs.at(n, sc.path, "a parallel step needs branches")
		}
		if s.Join == "" {
			s.Join = "all"
		}
		if s.Join == "count" && s.JoinCount > len(s.Branches) {
			sc.c.errs.at(n.get("join"), join(sc.path, "join"), "join needs %d branches but there are %d", s.JoinCount, len(s.Branches))
		}
	},
	data: func(d *stepData, _ *Step) {
		d.add("completed_branches", types.NewListType(types.StringType))
	},
}

func (sc *stepCtx) branch(n *node, p string) Branch {
	c := sc.c
	var b Branch
	var steps *node
	c.keys(n, p, []string{"id", "when", "steps"}, func(key string, v *node, kp string) bool {
		switch key {
		case "id":
			b.ID = c.ident(v, kp, "branch id")
		case "when":
			b.When = c.expr(v, kp, runScope, wantBool)
		case "steps":
			steps = v
		default:
			return false
		}
		return true
	})
	if steps == nil {
		if n.kind == mapNode {
			c.errs.at(n, p, "a branch needs steps")
		}
		return b
	}
	b.Steps = c.sequence(steps, join(p, "steps"), b.ID)
	return b
}
