package definitions

import "github.com/google/cel-go/common/types"

// A decision routes the run: the first rule whose condition holds decides,
// otherwise its default. steps.<id>.data records why: the rule taken (its
// number, or "default"), its condition and where it went.

// KindDecision routes by the first matching rule.
const KindDecision StepKind = "decision"

// Route is one decision rule.
type Route struct {
	When      string `json:"when"`
	Goto      string `json:"goto"`
	MaxRounds int    `json:"max_rounds,omitempty"`
}

var decisionKind = kind{
	name: KindDecision,
	keys: map[string]decoder{
		"default": func(sc *stepCtx, v *node, p string) {
			var none int
			sc.s.Default = sc.jump(v, p, &none)
		},
		"rules": (*stepCtx).rules,
	},
	finish: func(sc *stepCtx) {
		if sc.s.Default == "" {
			sc.c.errs.at(sc.n, sc.path, "a decision needs a default (the step to go to when no rule matches)")
		}
	},
	data: func(d *stepData, _ *Step) {
		d.add("rule", types.DynType) // the rule's number, or "default"
		d.add("when", types.StringType)
		d.add("goto", types.StringType)
	},
	jumps: func(s *Step) []string {
		out := make([]string, 0, len(s.Rules)+1)
		for _, r := range s.Rules {
			out = append(out, r.Goto)
		}
		return append(out, s.Default)
	},
	routes: true,
}

func (sc *stepCtx) rules(v *node, p string) {
	s := sc.s
	var gotos []*node
	for i, it := range sc.c.list(v, p) {
		r, g := sc.route(it, index(p, i))
		s.Rules, gotos = append(s.Rules, r), append(gotos, g)
	}
	for i, g := range gotos {
		if g != nil {
			s.Rules[i].Goto = sc.jump(g, index(p, i)+".goto", &s.Rules[i].MaxRounds)
		}
	}
}

func (sc *stepCtx) route(it *node, rp string) (Route, *node) {
	c := sc.c
	var r Route
	var g *node
	c.keys(it, rp, []string{"when", "goto", "max_rounds"}, func(k string, x *node, kp string) bool {
		switch k {
		case "when":
			r.When = c.expr(x, kp, runScope, wantBool)
		case "goto":
			g = x
		case "max_rounds":
			r.MaxRounds = c.integer(x, kp, 1, 1000)
		default:
			return false
		}
		return true
	})
	if it.kind == mapNode && (it.get("when") == nil || g == nil) {
		c.errs.at(it, rp, "a rule needs when and goto")
	}
	return r, g
}
