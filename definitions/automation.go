package definitions

import (
	"net/url"
	"strings"
)

// What the automated kinds (http, notify) share: retries, and what happens
// when they are exhausted. A step that fails and jumps on (on_failure: goto)
// stores the failure's message as steps.<id>.data.error.

// failureKeys are the keys of http and notify about failing.
var failureKeys = map[string]decoder{
	"retry":      func(sc *stepCtx, v *node, p string) { sc.s.Retry = sc.retry(v, p) },
	"on_failure": func(sc *stepCtx, v *node, p string) { sc.s.OnFailure = sc.onFailure(v, p) },
}

// failureJump is where a failed automation may go.
func failureJump(s *Step) []string {
	if s.OnFailure == nil {
		return nil
	}
	return nonEmpty(s.OnFailure.Goto)
}

// Retry is an activity retry policy. Zero values mean the defaults: 3 attempts,
// 10 seconds initially, doubling, at most 10 minutes apart.
type Retry struct {
	Attempts    int       `json:"attempts,omitempty"`
	Interval    *Duration `json:"interval,omitempty"`
	Backoff     float64   `json:"backoff,omitempty"`
	MaxInterval *Duration `json:"max_interval,omitempty"`
}

// OnFailure says what happens when retries are exhausted.
type OnFailure struct {
	// Action is "fail" (the run fails), "fix" (a fix-it task for Assignee with the
	// choices retry, skip or edit and retry) or "goto" (jump to Goto).
	Action   string `json:"action"`
	Assignee string `json:"assignee,omitempty"`
	Goto     string `json:"goto,omitempty"`
}

// Failure actions.
const (
	FailureFail = "fail"
	FailureFix  = "fix"
	FailureGoto = "goto"
)

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
