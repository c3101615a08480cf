package definitions

import (
	"strings"

	"github.com/google/cel-go/common/types"
)

// The human kinds: a task (a form and outcome buttons) and an approval
// (approved or rejected, with a comment). steps.<id>.data holds the submitted
// form: each field typed as declared; an approval's also holds its comment.

// Human step kinds.
const (
	KindTask     StepKind = "task"
	KindApproval StepKind = "approval"
)

// Approval outcomes.
const (
	OutcomeApproved = "approved"
	OutcomeRejected = "rejected"
)

// humanKeys are the keys of both human kinds: who, what they fill in, when it is due.
var humanKeys = map[string]decoder{
	"assignee":    func(sc *stepCtx, v *node, p string) { sc.s.Assignee = sc.role(v, p) },
	"form":        func(sc *stepCtx, v *node, p string) { sc.s.Form = sc.c.fieldList(v, p, nil) },
	"due":         func(sc *stepCtx, v *node, p string) { sc.s.Due = sc.due(v, p) },
	"reminders":   func(sc *stepCtx, v *node, p string) { sc.s.Reminders = sc.reminders(v, p) },
	"escalations": func(sc *stepCtx, v *node, p string) { sc.s.Escalations = sc.escalations(v, p) },
}

var taskKind = kind{
	name: KindTask,
	keys: merge(humanKeys, map[string]decoder{
		"outcomes": func(sc *stepCtx, v *node, p string) { sc.s.Outcomes = sc.c.strList(v, p) },
	}),
	finish: func(sc *stepCtx) {
		if len(sc.s.Outcomes) == 0 {
			sc.s.Outcomes = []string{"completed"}
		}
		sc.finishHuman()
	},
	data: func(d *stepData, s *Step) { d.form(s.Form) },
}

var approvalKind = kind{
	name: KindApproval,
	keys: merge(humanKeys, map[string]decoder{
		"form": func(sc *stepCtx, v *node, p string) {
			sc.s.Form = sc.c.fieldList(v, p, nil)
			for i, f := range sc.s.Form {
				if f.ID == "comment" {
					sc.c.errs.at(v.items[i], index(p, i), "an approval already has a comment field")
				}
			}
		},
		"policy":            (*stepCtx).policy,
		"exclude_requester": func(sc *stepCtx, v *node, p string) { sc.s.ExcludeRequester = sc.c.boolean(v, p) },
		"send_back_to":      func(sc *stepCtx, v *node, p string) { sc.s.SendBackTo = sc.jump(v, p, &sc.s.MaxRounds) },
	}),
	finish: func(sc *stepCtx) {
		if sc.s.Policy == "" {
			sc.s.Policy = "any"
		}
		sc.finishHuman()
	},
	data: func(d *stepData, s *Step) {
		d.form(s.Form)
		d.add("comment", types.StringType)
	},
	jumps: func(s *Step) []string { return nonEmpty(s.SendBackTo) },
}

func (sc *stepCtx) finishHuman() {
	s := sc.s
	if s.Assignee == "" {
		sc.c.errs.at(sc.n, sc.path, "%s step needs an assignee (a role name)", article(string(s.Kind)))
	}
	if (len(s.Reminders) > 0 || len(s.Escalations) > 0) && s.Due == nil {
		sc.c.errs.at(sc.n, sc.path, "reminders and escalations need a due date (add due)")
	}
}

// nonEmpty returns the non-empty names among ids.
func nonEmpty(ids ...string) []string {
	var out []string
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}

// policy reads "any", "all" or a number of approvals (a quorum).
func (sc *stepCtx) policy(v *node, p string) {
	if isInt(v.val()) {
		sc.s.Policy, sc.s.Quorum = "quorum", sc.c.integer(v, p, 1, 1000)
		return
	}
	sc.s.Policy = sc.c.oneOf(v, p, "any", "all")
}

// Due places a deadline at Offset after (or Before) a base time: the step's
// start ("step_start", the default), the run's start ("run_start"), or a CEL
// expression yielding a timestamp (e.g. "inputs.start_date").
type Due struct {
	Offset Duration `json:"offset"`
	Before bool     `json:"before,omitempty"`
	From   string   `json:"from,omitempty"`
}

// Due bases.
const (
	FromStepStart = "step_start"
	FromRunStart  = "run_start"
)

// Reminder notifies at Offset before or after the due time, then Every interval
// up to Times reminders in all (0 = once; repeating ones are capped at 50).
type Reminder struct {
	Offset Duration  `json:"offset"`
	Before bool      `json:"before,omitempty"`
	Every  *Duration `json:"every,omitempty"`
	Times  int       `json:"times,omitempty"`
	Notify []string  `json:"notify,omitempty"` // roles; default the assignees
}

// Escalation is one rung of a ladder: After this long overdue, do Action.
type Escalation struct {
	After Duration `json:"after"`
	// Action is "notify" (Roles), "add" (add Roles as assignees), "reassign"
	// (replace the assignees with Roles) or "outcome" (complete with Outcome).
	Action  string   `json:"action"`
	Roles   []string `json:"roles,omitempty"`
	Outcome string   `json:"outcome,omitempty"`
}

// Escalation actions.
const (
	EscalateNotify   = "notify"
	EscalateAdd      = "add"
	EscalateReassign = "reassign"
	EscalateOutcome  = "outcome"
)

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
