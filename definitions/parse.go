package definitions

import (
	"strings"
	"time"
)

var topKeys = []string{"key", "name", "description", "summary", "time_zone", "holidays",
	"business_key", "inputs", "roles", "triggers", "steps"}

func (c *compiler) parseProgram(root *node) {
	p := c.prog
	var keyNode, stepsNode *node
	c.keys(root, "", topKeys, func(key string, v *node, path string) bool {
		switch key {
		case "key":
			keyNode, p.Key = v, c.str(v, path)
		case "name":
			p.Name = c.str(v, path)
		case "description":
			p.Description = c.str(v, path)
		case "summary":
			p.Summary = c.tmpl(v, path, runScope)
		case "time_zone":
			p.TimeZone = c.timeZone(v, path)
		case "holidays":
			p.Holidays = c.holidays(v, path)
		case "business_key":
			p.BusinessKey = c.expr(v, path, runScope, wantString)
		case "inputs":
			p.Inputs = c.fieldList(v, path, nil)
		case "roles":
			p.Roles = c.roles(v, path)
		case "triggers":
			p.Triggers = c.triggers(v, path)
		case "steps":
			stepsNode = v
		default:
			// x- keys hold YAML anchors for reuse (as in docker-compose files).
			return strings.HasPrefix(key, "x-")
		}
		return true
	})
	if keyNode == nil {
		c.errs.add(1, 1, "key", "missing required key \"key\" (a stable id such as purchase-approval)")
	} else if p.Key != "" && !keyRE.MatchString(p.Key) {
		c.errs.at(keyNode, "key", "key %q must be lowercase letters, digits and dashes, starting with a letter or digit", p.Key)
	} else if len(p.Key) > MaxKeyLength {
		c.errs.at(keyNode, "key", "key is %d characters long; at most %d are allowed", len(p.Key), MaxKeyLength)
	}
	if p.Name == "" {
		p.Name = humanize(p.Key)
	}
	c.addRequesterRole()
	if stepsNode == nil {
		c.errs.add(1, 1, "steps", "missing required key \"steps\" (the list of steps)")
		return
	}
	p.Steps = c.sequence(stepsNode, "steps", "")
}

func (c *compiler) timeZone(n *node, path string) string {
	s := c.str(n, path)
	if s == "" {
		return ""
	}
	if _, err := time.LoadLocation(s); err != nil || s == "Local" {
		c.errs.at(n, path, "unknown time zone %q: use an IANA name such as Europe/Berlin or America/New_York", s)
	}
	return s
}

func (c *compiler) holidays(n *node, path string) []string {
	var out []string
	for i, it := range c.list(n, path) {
		s := c.str(it, index(path, i))
		if _, err := time.Parse(time.DateOnly, s); err != nil && s != "" {
			c.errs.at(it, index(path, i), "holiday %q is not a date written YYYY-MM-DD", s)
			continue
		}
		out = append(out, s)
	}
	return out
}

var roleKeys = []string{"user", "users", "group", "expression", "manager_of"}

// roles reads "name: {user|users|group|expression|manager_of: ...}" in source order.
func (c *compiler) roles(n *node, path string) []Role {
	if n.kind != mapNode {
		c.errs.at(n, path, "roles is a mapping of role names to who they are, got %s", describe(n))
		return nil
	}
	out := make([]Role, 0, len(n.keys))
	for i, k := range n.keys {
		rp := join(path, k.text)
		r := Role{Name: c.ident(k, rp, "role name")}
		set := 0
		c.keys(n.vals[i], rp, roleKeys, func(key string, v *node, p string) bool {
			set++
			switch key {
			case "user":
				r.User = c.str(v, p)
			case "users":
				r.Users = c.strList(v, p)
			case "group":
				r.Group = c.str(v, p)
			case "expression":
				r.Expression = c.expr(v, p, runScope, wantUsers)
			case "manager_of":
				r.ManagerOf = c.expr(v, p, runScope, wantString)
			default:
				set--
				return false
			}
			return true
		})
		if set != 1 && n.vals[i].kind == mapNode {
			c.errs.at(k, rp, "a role needs exactly one of: user, users, group, expression, manager_of")
		}
		if r.Name == ViewersRole && (r.Expression != "" || r.ManagerOf != "") {
			c.errs.at(k, rp, "the viewers role must be a user, users or a group: it decides who may read runs, and is not computed from run data")
		}
		if c.prog.Role(r.Name) != nil {
			c.errs.at(k, rp, "duplicate role %q", r.Name)
			continue
		}
		out = append(out, r)
	}
	return out
}

// RequesterRole is the role every program has: the person who started the run.
const RequesterRole = "requester"

// ViewersRole, when a definition declares it (a user, users or a group), names who may
// see every run of the definition besides the people in it (the API's run_visible).
const ViewersRole = "viewers"

func (c *compiler) addRequesterRole() {
	if c.prog.Role(RequesterRole) == nil {
		c.prog.Roles = append(c.prog.Roles, Role{Name: RequesterRole, Expression: "run.started_by"})
	}
}

var triggerKeys = []string{"webhook", "when", "inputs", "business_key"}

func (c *compiler) triggers(n *node, path string) []Trigger {
	var out []Trigger
	names := map[string]bool{}
	for i, it := range c.list(n, path) {
		tp := index(path, i)
		c.triggerNodes = append(c.triggerNodes, it)
		var t Trigger
		c.keys(it, tp, triggerKeys, func(key string, v *node, p string) bool {
			switch key {
			case "webhook":
				t.Name = c.str(v, p)
				if t.Name != "" && !keyRE.MatchString(t.Name) {
					c.errs.at(v, p, "webhook name %q must be lowercase letters, digits and dashes", t.Name)
				}
				if names[t.Name] {
					c.errs.at(v, p, "duplicate webhook %q", t.Name)
				}
				names[t.Name] = true
			case "when":
				t.When = c.expr(v, p, triggerScope, wantBool)
			case "inputs":
				t.Inputs = c.assignments(v, p, triggerScope, c.inputRef)
			case "business_key":
				t.BusinessKey = c.expr(v, p, triggerScope, wantString)
			default:
				return false
			}
			return true
		})
		if t.Name == "" && it.kind == mapNode {
			c.errs.at(it, tp, "a trigger needs a webhook name")
		}
		out = append(out, t)
	}
	return out
}

// inputRef checks that a trigger maps onto a declared input.
func (c *compiler) inputRef(k *node, path, name string) {
	c.refs = append(c.refs, stepRef{n: k, path: path, target: name, kind: refInput})
}

// assignments reads "name: CEL" pairs in source order.
func (c *compiler) assignments(n *node, path string, s *scope, check func(k *node, path, name string)) []Assignment {
	if n.kind != mapNode {
		c.errs.at(n, path, "expected a mapping of names to expressions, got %s", describe(n))
		return nil
	}
	out := make([]Assignment, 0, len(n.keys))
	for i, k := range n.keys {
		p := join(path, k.text)
		name := c.ident(k, p, "name")
		if check != nil {
			check(k, p, name)
		}
		out = append(out, Assignment{Name: name, Expr: c.expr(n.vals[i], p, s, wantAny)})
	}
	return out
}
