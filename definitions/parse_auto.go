package definitions

import (
	"net/url"
	"strings"
)

func (sc *stepCtx) parallelKey(key string, v *node, p string) {
	c, s := sc.c, sc.s
	switch key {
	case "join":
		if isInt(v.val()) {
			s.Join, s.JoinCount = "count", c.integer(v, p, 1, 1000)
			return
		}
		s.Join = c.oneOf(v, p, "all", "any")
	case "branches":
		for i, it := range c.list(v, p) {
			s.Branches = append(s.Branches, sc.branch(it, index(p, i)))
		}
	}
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

func (sc *stepCtx) waitKey(key string, v *node, p string) {
	c, s := sc.c, sc.s
	if s.Wait == nil {
		s.Wait = &Wait{}
	}
	w := s.Wait
	switch key {
	case "for":
		w.For = c.durationPtr(v, p)
	case "until":
		w.Until = c.expr(v, p, runScope, wantTimestamp)
	case "event":
		w.Event = c.str(v, p)
		if w.Event != "" && !keyRE.MatchString(w.Event) {
			c.errs.at(v, p, "event name %q must be lowercase letters, digits and dashes", w.Event)
		}
	case "timeout":
		w.Timeout = c.durationPtr(v, p)
	case "on_timeout":
		w.OnTimeout = sc.jump(v, p, &s.MaxRounds)
	case "form":
		s.Form = c.fieldList(v, p, nil)
	}
}

func (sc *stepCtx) httpKey(key string, v *node, p string) {
	c, s := sc.c, sc.s
	if s.HTTP == nil {
		s.HTTP = &HTTPCall{Method: "POST"}
	}
	h := s.HTTP
	switch key {
	case "method":
		h.Method = c.oneOf(v, p, "GET", "POST", "PUT", "PATCH", "DELETE")
	case "url":
		h.URL = c.tmpl(v, p, runScope)
		sc.checkURL(v, p, h.URL)
	case "headers":
		h.Headers = sc.headers(v, p, true)
	case "secret_headers":
		h.SecretHeaders = sc.headers(v, p, false)
	case "body":
		h.Body = sc.body(v, p)
	case "timeout":
		h.Timeout = c.durationPtr(v, p)
	case "save":
		h.Save = c.assignments(v, p, responseScope, nil)
	default:
		sc.failureKey(key, v, p)
	}
}

// checkURL rejects URLs that are not http(s), unless they start with a template.
func (sc *stepCtx) checkURL(v *node, p, raw string) {
	if strings.HasPrefix(raw, "{{") {
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		sc.c.errs.at(v, p, "url %q must be an absolute http or https URL", raw)
	}
}

func (sc *stepCtx) headers(v *node, p string, templated bool) []Header {
	if v.kind != mapNode {
		sc.c.errs.at(v, p, "expected a mapping of header names to values, got %s", describe(v))
		return nil
	}
	out := make([]Header, 0, len(v.keys))
	for i, k := range v.keys {
		hp := join(p, k.text)
		h := Header{Name: k.text}
		if templated {
			h.Value = sc.c.tmpl(v.vals[i], hp, runScope)
		} else {
			h.Value = sc.c.str(v.vals[i], hp)
		}
		out = append(out, h)
	}
	return out
}

// body converts a JSON body, registering every string inside as a template.
func (sc *stepCtx) body(v *node, p string) any {
	switch v.kind {
	case mapNode:
		m := make(map[string]any, len(v.keys))
		for i, k := range v.keys {
			m[k.text] = sc.body(v.vals[i], join(p, k.text))
		}
		return m
	case seqNode:
		l := make([]any, len(v.items))
		for i, it := range v.items {
			l[i] = sc.body(it, index(p, i))
		}
		return l
	}
	if _, ok := v.val().(string); ok {
		return sc.c.tmpl(v, p, runScope)
	}
	return yamlToData(v)
}

func (sc *stepCtx) failureKey(key string, v *node, p string) {
	s := sc.s
	switch key {
	case "retry":
		s.Retry = sc.retry(v, p)
	case "on_failure":
		s.OnFailure = sc.onFailure(v, p)
	}
}

func (sc *stepCtx) retry(v *node, p string) *Retry {
	r := &Retry{}
	sc.c.keys(v, p, []string{"attempts", "interval", "backoff", "max_interval"}, func(key string, x *node, kp string) bool {
		switch key {
		case "attempts":
			r.Attempts = sc.c.integer(x, kp, 1, 100)
		case "interval":
			r.Interval = sc.c.durationPtr(x, kp)
		case "backoff":
			if f := sc.c.number(x, kp); f != nil {
				if r.Backoff = *f; r.Backoff < 1 || r.Backoff > 10 {
					sc.c.errs.at(x, kp, "backoff must be between 1 and 10")
				}
			}
		case "max_interval":
			r.MaxInterval = sc.c.durationPtr(x, kp)
		default:
			return false
		}
		return true
	})
	return r
}

// onFailure reads "fail", or {fix: role} / {goto: step}.
func (sc *stepCtx) onFailure(v *node, p string) *OnFailure {
	if v.kind == scalarNode {
		if sc.c.oneOf(v, p, FailureFail) == "" {
			return nil
		}
		return &OnFailure{Action: FailureFail}
	}
	f := &OnFailure{}
	sc.c.keys(v, p, []string{"fix", "goto"}, func(key string, x *node, kp string) bool {
		switch key {
		case "fix":
			f.Action, f.Assignee = FailureFix, sc.role(x, kp)
		case "goto":
			f.Action, f.Goto = FailureGoto, sc.jump(x, kp, &sc.s.MaxRounds)
		default:
			return false
		}
		return true
	})
	if v.kind == mapNode && len(v.keys) != 1 {
		sc.c.errs.at(v, p, "on_failure is fail, {fix: ROLE} or {goto: STEP}")
	}
	return f
}
