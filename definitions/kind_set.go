package definitions

// A set step computes run data with CEL: steps.<id>.data holds each value,
// in order, each seeing the ones before it (dyn: any JSON value).

// KindSet computes step data.
const KindSet StepKind = "set"

var setKind = kind{
	name: KindSet,
	keys: map[string]decoder{
		"values": func(sc *stepCtx, v *node, p string) { sc.s.Set = sc.c.assignments(v, p, runScope, nil) },
	},
	finish: func(sc *stepCtx) {
		if len(sc.s.Set) == 0 {
			sc.c.errs.at(sc.n, sc.path, "a set step needs values")
		}
	},
	data: func(d *stepData, s *Step) { d.dyn(s.Set) },
}
