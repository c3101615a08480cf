package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/cel-go/cel"

	"github.com/handoffhq/handoff/definitions"
)

// routingRule is the rule BenchmarkEvalRoutingRule in definitions/bench_test.go evaluates.
const routingRule = `inputs.amount > 5000 && (inputs.department == "eng" || inputs.vendor_type == "new")`

// measureC1D1 runs the definition language's Go benchmarks (definitions/bench_test.go)
// with `go test -bench` for CEL evaluation (C1) and the 500-step compile (D1), and
// measures compile cost per expression in-process. The baselines are bare cel-go with
// the same cost limit: what the library itself costs.
func (b *bencher) measureC1D1(ctx context.Context) ([]Figure, error) {
	count, benchtime := 5, "1s"
	if b.cfg.Short {
		count, benchtime = 1, "100ms"
	}
	res, err := goBench(ctx, b.cfg.Root, "^(BenchmarkCompile500Steps|BenchmarkEvalRoutingRule)$", benchtime, count)
	if err != nil {
		return nil, fmt.Errorf("C1/D1: %w", err)
	}
	eval := Figure{ID: "C1.eval", Name: "CEL routing rule evaluation, cost limit on", Unit: "ns", Target: "≤ 2000 ns",
		A: res["BenchmarkEvalRoutingRule"], check: func(a, _ float64) bool { return a <= 2000 }}
	compile := Figure{ID: "C1.compile", Name: "CEL compile at publish, per expression", Unit: "µs", Target: "report"}
	d1 := Figure{ID: "D1", Name: "validate + compile a 500-step definition", Unit: "ms", Target: "≤ 50 ms",
		check: func(a, _ float64) bool { return a <= 50 }}
	for _, ns := range res["BenchmarkCompile500Steps"] {
		d1.A = append(d1.A, ns/1e6)
	}
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
		eval.B = append(eval.B, nsPerOp(d, func() error { return bare() }))
		perDef := func(src []byte) float64 {
			return nsPerOp(d, func() error { _, err := definitions.Compile(src); return err })
		}
		compile.A = append(compile.A, (perDef(big)-perDef(small))/100/1e3)
		compile.B = append(compile.B, nsPerOp(d, bareCompile)/1e3)
	}
	eval.Note = "interpreted = definitions.Engine.EvalBool (go test -bench BenchmarkEvalRoutingRule); " +
		"baseline = the same rule as a bare cel-go program with the same cost limit"
	compile.Note = "interpreted = (Compile of a definition with 101 decision rules − with 1) / 100; " +
		"baseline = bare cel-go Compile + Program of one such rule"
	d1.Note = "go test -bench BenchmarkCompile500Steps: parse, validate, type-check every expression, compile"
	b.logf("C1 eval ns %v vs bare %v; compile µs/expr %v vs bare %v; D1 ms %v", eval.A, eval.B, compile.A, compile.B, d1.A)
	return []Figure{eval, compile, d1}, nil
}

var benchLine = regexp.MustCompile(`^(Benchmark\w+)-\d+\s+\d+\s+([\d.]+) ns/op`)

// goBench runs `go test -bench` on the definitions package and returns ns/op per
// benchmark, one value per -count repetition.
func goBench(ctx context.Context, root, pattern, benchtime string, count int) (map[string][]float64, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", pattern, "-benchtime", benchtime,
		"-count", strconv.Itoa(count), "./definitions/")
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
