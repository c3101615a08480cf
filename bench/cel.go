package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/cel-go/cel"

	"github.com/handoffhq/handoff/definitions"
)

// routingRule is the rule BenchmarkEvalRoutingRule in definitions/bench_test.go evaluates.
const routingRule = `inputs.amount > 5000 && (inputs.department == "eng" || inputs.vendor_type == "new")`

// measureC1D1 runs the definition language's Go benchmarks (definitions/bench_test.go)
// with `go test -bench`: CEL evaluation (C1, every evaluation under cel-go's cost
// tracker), validate + compile of each shipped example and of a 500-step definition
// (D1); and measures compile cost per expression in-process. The baselines are bare
// cel-go with the same cost limit: what the library itself costs.
func (b *bencher) measureC1D1(ctx context.Context) ([]Figure, error) {
	count, benchtime := 5, "1s"
	if b.cfg.Short {
		count, benchtime = 1, "100ms"
	}
	res, err := goBench(ctx, b.cfg.Root, "./definitions/", "^(BenchmarkCompileExamples|BenchmarkCompile500Steps|BenchmarkEvalRoutingRule)$", benchtime, count)
	if err != nil {
		return nil, fmt.Errorf("C1/D1: %w", err)
	}
	eval := Figure{ID: "C1.eval", Name: "CEL routing rule evaluation, cost tracking on", Unit: "ns", Target: "report",
		A: res["BenchmarkEvalRoutingRule"]}
	compile := Figure{ID: "C1.compile", Name: "CEL compile at publish, per expression", Unit: "µs", Target: "report"}
	figs := []Figure{eval, compile}
	for _, name := range slices.Sorted(maps.Keys(res)) {
		if example, ok := strings.CutPrefix(name, "BenchmarkCompileExamples/"); ok {
			figs = append(figs, Figure{ID: "D1." + example, Name: "validate + compile the " + example + " example",
				Unit: "ms", Target: "p50 ≤ 10 ms", A: scale(res[name], 1e-6), check: func(a, _ float64) bool { return a <= 10 }})
		}
	}
	figs = append(figs, Figure{ID: "D1.500", Name: "validate + compile a 500-step definition", Unit: "ms", Target: "≤ 100 ms",
		A: scale(res["BenchmarkCompile500Steps"], 1e-6), check: func(a, _ float64) bool { return a <= 100 },
		Note: "go test -bench 'BenchmarkCompileExamples|BenchmarkCompile500Steps' ./definitions/: parse, validate, " +
			"type-check every expression; the examples' medians are over the repetitions of each"})
	d := b.dur(time.Second, 100*time.Millisecond)
	bare, err := bareEval()
	if err != nil {
		return nil, fmt.Errorf("C1: %w", err)
	}
	small, big := rulesDefinition(1), rulesDefinition(101)
	bareCompile, err := bareCompiler()
	if err != nil {
		return nil, fmt.Errorf("C1: %w", err)
	}
	for range count {
		figs[0].B = append(figs[0].B, nsPerOp(d, func() error { return bare() }))
		perDef := func(src []byte) float64 {
			return nsPerOp(d, func() error { _, err := definitions.Compile(src); return err })
		}
		figs[1].A = append(figs[1].A, (perDef(big)-perDef(small))/100/1e3)
		figs[1].B = append(figs[1].B, nsPerOp(d, bareCompile)/1e3)
	}
	figs[0].Note = "interpreted = definitions.Engine.EvalBool (go test -bench BenchmarkEvalRoutingRule); " +
		"baseline = the same rule as a bare cel-go program with the same cost limit (tracked too)"
	figs[1].Note = "interpreted = (Compile of a definition with 101 decision rules − with 1) / 100; " +
		"baseline = bare cel-go Compile + Program of one such rule"
	b.logf("C1 eval ns %v vs bare %v; compile µs/expr %v vs bare %v", figs[0].A, figs[0].B, figs[1].A, figs[1].B)
	return figs, nil
}

// scale multiplies every value by k (ns to ms: 1e-6).
func scale(xs []float64, k float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * k
	}
	return out
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op`)

// goBench runs `go test -bench` on a package ("./definitions/") and returns ns/op per
// benchmark (sub-benchmarks as Name/sub), one value per -count repetition.
func goBench(ctx context.Context, root, pkg, pattern, benchtime string, count int) (map[string][]float64, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", pattern, "-benchtime", benchtime,
		"-count", strconv.Itoa(count), pkg)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go test -bench: %w\n%s", err, out)
	}
	res := map[string][]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if m := benchLine.FindStringSubmatch(sc.Text()); m != nil {
			v, _ := strconv.ParseFloat(m[2], 64)
			res[m[1]] = append(res[m[1]], v)
		}
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("go test -bench printed no results:\n%s", out)
	}
	return res, nil
}

// nsPerOp runs fn for at least d (doubling the iterations) and returns ns per call.
func nsPerOp(d time.Duration, fn func() error) float64 {
	for n := 1; ; n *= 2 {
		start := time.Now()
		for range n {
			if err := fn(); err != nil {
				return 0
			}
		}
		if el := time.Since(start); el >= d || n >= 1<<30 {
			return float64(el) / float64(n)
		}
	}
}

func bareEnv() (*cel.Env, error) {
	return cel.NewEnv(cel.Variable("inputs", cel.MapType(cel.StringType, cel.DynType)))
}

// bareEval compiles the routing rule with bare cel-go and returns one evaluation.
func bareEval() (func() error, error) {
	env, err := bareEnv()
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile(routingRule)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	prg, err := env.Program(ast, cel.CostLimit(definitions.CostLimit), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, err
	}
	act := map[string]any{"inputs": map[string]any{"amount": 7200.0, "department": "eng", "vendor_type": "new"}}
	return func() error {
		v, _, err := prg.Eval(act)
		if err != nil || v.Value() != true {
			return fmt.Errorf("bare eval: %v %v", v, err)
		}
		return nil
	}, nil
}

// bareCompiler returns a function compiling the routing rule with bare cel-go into a
// program, in an environment built once (as Handoff builds one per definition).
func bareCompiler() (func() error, error) {
	env, err := bareEnv()
	if err != nil {
		return nil, err
	}
	return func() error {
		ast, iss := env.Compile(routingRule)
		if iss.Err() != nil {
			return iss.Err()
		}
		_, err := env.Program(ast, cel.CostLimit(definitions.CostLimit), cel.EvalOptions(cel.OptOptimize))
		return err
	}, nil
}

// rulesDefinition is a definition whose decision has n rules like the routing rule.
func rulesDefinition(n int) []byte {
	var sb strings.Builder
	sb.WriteString("key: rules\ninputs:\n  - {id: amount, type: number}\n  - {id: department, type: select, options: [eng, mkt]}\n" +
		"  - {id: vendor_type, type: select, options: [new, existing]}\nsteps:\n  - id: route\n    kind: decision\n    rules:\n")
	for i := range n {
		fmt.Fprintf(&sb, "      - when: inputs.amount > %d && (inputs.department == \"eng\" || inputs.vendor_type == \"new\")\n        goto: done\n", i)
	}
	sb.WriteString("    default: done\n  - {id: done, kind: end}\n")
	return []byte(sb.String())
}
