package definitions

import (
	"fmt"
	"maps"
	"slices"
)

// A subprocess step starts a run of another definition as a child and waits
// for it. steps.<id>.data holds the child's outputs (whatever its end step
// computes, so any key, dyn) and run_id.

// KindSubprocess starts a child run.
const KindSubprocess StepKind = "subprocess"

// Subprocess starts a child run and waits for it; its outputs become step data.
type Subprocess struct {
	Definition string       `json:"definition"`
	Version    int          `json:"version,omitempty"` // 0 = latest at start
	Inputs     []Assignment `json:"inputs,omitempty"`
}

var subprocessKind = kind{
	name: KindSubprocess,
	keys: map[string]decoder{
		"definition": func(sc *stepCtx, v *node, p string) {
			d := sc.c.str(v, p)
			sc.subprocess().Definition = d
			if d != "" && !keyRE.MatchString(d) {
				sc.c.errs.at(v, p, "definition key %q must be lowercase letters, digits and dashes", d)
			}
		},
		"version": func(sc *stepCtx, v *node, p string) { sc.subprocess().Version = sc.c.integer(v, p, 1, 1_000_000) },
		"inputs":  func(sc *stepCtx, v *node, p string) { sc.subprocess().Inputs = sc.c.assignments(v, p, runScope, nil) },
	},
	finish: func(sc *stepCtx) {
		if sc.s.Subprocess == nil || sc.s.Subprocess.Definition == "" {
			sc.c.errs.at(sc.n, sc.path, "a subprocess step needs a definition (the key of the definition to run)")
			return
		}
		sc.checkTarget()
	},
	data: func(d *stepData, _ *Step) { d.open = true },
}

func (sc *stepCtx) subprocess() *Subprocess {
	if sc.s.Subprocess == nil {
		sc.s.Subprocess = &Subprocess{}
	}
	return sc.s.Subprocess
}

// checkTarget reports a target that KnownDefinitions does not know, or a
// pinned version it does not have.
func (sc *stepCtx) checkTarget() {
	sp, c := sc.s.Subprocess, sc.c
	if c.known == nil || sp.Definition == c.prog.Key || !keyRE.MatchString(sp.Definition) {
		return
	}
	latest, ok := c.known[sp.Definition]
	switch {
	case !ok:
		hint := ""
		if best := closest(sp.Definition, slices.Collect(maps.Keys(c.known))); best != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", best)
		}
		c.errs.at(sc.n.get("definition"), join(sc.path, "definition"),
			"unknown definition %q%s: publish it before a definition that starts it", sp.Definition, hint)
	case latest > 0 && sp.Version > latest:
		c.errs.at(sc.n.get("version"), join(sc.path, "version"),
			"definition %q has no version %d (the latest is %d)", sp.Definition, sp.Version, latest)
	}
}
