package definitions

import "strings"

func (sc *stepCtx) kindKey(key string, v *node, p string) {
	switch sc.s.Kind {
	case KindTask, KindApproval:
		sc.humanKey(key, v, p)
	case KindDecision:
		sc.decisionKey(key, v, p)
	case KindParallel:
		sc.parallelKey(key, v, p)
	case KindWait:
		sc.waitKey(key, v, p)
	case KindHTTP:
		sc.httpKey(key, v, p)
	case KindNotify:
		sc.notifyKey(key, v, p)
	default:
		sc.otherKey(key, v, p)
	}
}

func (sc *stepCtx) humanKey(key string, v *node, p string) {
	c, s := sc.c, sc.s
	switch key {
	case "assignee":
		s.Assignee = sc.role(v, p)
	case "form":
		s.Form = c.fieldList(v, p, nil)
		if s.Kind == KindApproval {
			for i, f := range s.Form {
				if f.ID == "comment" {
					c.errs.at(v.items[i], index(p, i), "an approval already has a comment field")
				}
			}
		}
	case "outcomes":
		s.Outcomes = c.strList(v, p)
	case "due":
		s.Due = sc.due(v, p)
	case "reminders":
		s.Reminders = sc.reminders(v, p)
	case "escalations":
		s.Escalations = sc.escalations(v, p)
	case "policy":
		sc.policy(v, p)
	case "exclude_requester":
		s.ExcludeRequester = c.boolean(v, p)
	case "send_back_to":
		s.SendBackTo = sc.jump(v, p, &s.MaxRounds)
	}
}

// policy reads "any", "all" or a number of approvals (a quorum).
func (sc *stepCtx) policy(v *node, p string) {
	if isInt(v.val()) {
		sc.s.Policy, sc.s.Quorum = "quorum", sc.c.integer(v, p, 1, 1000)
		return
	}
	sc.s.Policy = sc.c.oneOf(v, p, "any", "all")
}

func (sc *stepCtx) due(v *node, p string) *Due {
	d := &Due{From: FromStepStart}
	if v.kind == scalarNode {
		d.Offset = sc.c.duration(v, p)
		return d
	}
	hasOffset := false
	sc.c.keys(v, p, []string{"after", "before", "from"}, func(key string, x *node, kp string) bool {
		switch key {
		case "after", "before":
			if hasOffset {
				sc.c.errs.at(x, kp, "use either after or before, not both")
			}
			hasOffset, d.Before, d.Offset = true, key == "before", sc.c.duration(x, kp)
		case "from":
			d.From = sc.dueFrom(x, kp)
		default:
			return false
		}
		return true
	})
	return d
}

func (sc *stepCtx) dueFrom(v *node, p string) string {
	s := sc.c.str(v, p)
	if s == FromStepStart || s == FromRunStart {
		return s
	}
	return sc.c.expr(v, p, runScope, wantTimestamp)
}

func (sc *stepCtx) reminders(v *node, p string) []Reminder {
	var out []Reminder
	for i, it := range sc.c.list(v, p) {
		rp := index(p, i)
		var r Reminder
		sc.c.keys(it, rp, []string{"before", "after", "every", "times", "notify"}, func(key string, x *node, kp string) bool {
			switch key {
			case "before", "after":
				r.Before, r.Offset = key == "before", sc.c.duration(x, kp)
			case "every":
				r.Every = sc.c.durationPtr(x, kp)
			case "times":
				r.Times = sc.c.integer(x, kp, 1, 50)
			case "notify":
				r.Notify = sc.roles(x, kp)
			default:
				return false
			}
			return true
		})
		if it.kind == mapNode && it.get("before") == nil && it.get("after") == nil {
			sc.c.errs.at(it, rp, "a reminder needs before or after (relative to the due date)")
		}
		out = append(out, r)
	}
	return out
}

var escalationActions = []string{EscalateNotify, EscalateAdd, EscalateReassign, EscalateOutcome}

func (sc *stepCtx) escalations(v *node, p string) []Escalation {
	var out []Escalation
	for i, it := range sc.c.list(v, p) {
		ep := index(p, i)
		var e Escalation
		sc.c.keys(it, ep, append([]string{"after"}, escalationActions...), func(key string, x *node, kp string) bool {
			switch key {
			case "after":
				e.After = sc.c.duration(x, kp)
				return true
			case EscalateOutcome:
				e.Outcome = sc.c.str(x, kp)
			case EscalateNotify, EscalateAdd, EscalateReassign:
				e.Roles = sc.roles(x, kp)
			default:
				return false
			}
			if e.Action != "" {
				sc.c.errs.at(x, kp, "one escalation does one thing: %s or %s, not both", e.Action, key)
			}
			e.Action = key
			return true
		})
		if it.kind == mapNode && (it.get("after") == nil || e.Action == "") {
			sc.c.errs.at(it, ep, "an escalation needs after and one of: %s", strings.Join(escalationActions, ", "))
		}
		out = append(out, e)
	}
	return out
}

func (sc *stepCtx) decisionKey(key string, v *node, p string) {
	c, s := sc.c, sc.s
	switch key {
	case "default":
		var none int
		s.Default = sc.jump(v, p, &none)
	case "rules":
		var gotos []*node
		for i, it := range c.list(v, p) {
			rp := index(p, i)
			r, g := sc.route(it, rp)
			s.Rules, gotos = append(s.Rules, r), append(gotos, g)
		}
		for i, g := range gotos {
			if g != nil {
				s.Rules[i].Goto = sc.jump(g, index(p, i)+".goto", &s.Rules[i].MaxRounds)
			}
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
