package definitions

// A wait pauses the run for a duration, until a date, or for a named external
// event (with a timeout path). steps.<id>.data holds the event's payload,
// typed by the step's form; a timed wait or a timeout stores nothing.

// KindWait pauses a run.
const KindWait StepKind = "wait"

// Wait pauses a run: For a duration, Until a CEL timestamp, or for a named
// external Event (payload typed by the step's Form) with an optional Timeout.
type Wait struct {
	For       *Duration `json:"for,omitempty"`
	Until     string    `json:"until,omitempty"`
	Event     string    `json:"event,omitempty"`
	Timeout   *Duration `json:"timeout,omitempty"`
	OnTimeout string    `json:"on_timeout,omitempty"` // step to jump to on timeout; "" = go on
}

var waitKind = kind{
	name: KindWait,
	keys: map[string]decoder{
		"for":   func(sc *stepCtx, v *node, p string) { sc.wait().For = sc.c.durationPtr(v, p) },
		"until": func(sc *stepCtx, v *node, p string) { sc.wait().Until = sc.c.expr(v, p, runScope, wantTimestamp) },
		"event": func(sc *stepCtx, v *node, p string) {
			w := sc.wait()
			w.Event = sc.c.str(v, p)
			if w.Event != "" && !keyRE.MatchString(w.Event) {
				sc.c.errs.at(v, p, "event name %q must be lowercase letters, digits and dashes", w.Event)
			}
		},
		"timeout":    func(sc *stepCtx, v *node, p string) { sc.wait().Timeout = sc.c.durationPtr(v, p) },
		"on_timeout": func(sc *stepCtx, v *node, p string) { sc.wait().OnTimeout = sc.jump(v, p, &sc.s.MaxRounds) },
		"form":       func(sc *stepCtx, v *node, p string) { sc.wait(); sc.s.Form = sc.c.fieldList(v, p, nil) },
	},
	finish: (*stepCtx).finishWait,
	data:   func(d *stepData, s *Step) { d.form(s.Form) },
	jumps: func(s *Step) []string {
		if s.Wait == nil {
			return nil
		}
		return nonEmpty(s.Wait.OnTimeout)
	},
}

func (sc *stepCtx) wait() *Wait {
	if sc.s.Wait == nil {
		sc.s.Wait = &Wait{}
	}
	return sc.s.Wait
}

func (sc *stepCtx) finishWait() {
	w, c := sc.s.Wait, sc.c
	if w == nil {
		c.errs.at(sc.n, sc.path, "a wait step needs one of: for, until, event")
		return
	}
	set := 0
	for _, b := range []bool{w.For != nil, w.Until != "", w.Event != ""} {
		if b {
			set++
		}
	}
	if set != 1 {
		c.errs.at(sc.n, sc.path, "a wait step needs exactly one of: for, until, event")
	}
	if (w.Timeout != nil || w.OnTimeout != "") && w.Event == "" {
		c.errs.at(sc.n, sc.path, "timeout and on_timeout apply only to waiting for an event")
	}
	if len(sc.s.Form) > 0 && w.Event == "" {
		c.errs.at(sc.n.keyNode("form"), join(sc.path, "form"), "a wait step has a form only for an event's data")
	}
}
