package definitions

// An end step ends the run with an outcome and outputs (what a parent's
// subprocess step gets as its data). steps.<id>.data holds the outputs.

// KindEnd ends the run.
const KindEnd StepKind = "end"

var endKind = kind{
	name: KindEnd,
	keys: map[string]decoder{
		"outcome": func(sc *stepCtx, v *node, p string) { sc.s.Outcome = sc.c.str(v, p) },
		"outputs": func(sc *stepCtx, v *node, p string) { sc.s.Outputs = sc.c.assignments(v, p, runScope, nil) },
	},
	finish: func(sc *stepCtx) {
		if sc.s.Outcome == "" {
			sc.s.Outcome = "completed"
		}
	},
	data:   func(d *stepData, s *Step) { d.dyn(s.Outputs) },
	routes: true,
}
