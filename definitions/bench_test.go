package definitions

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// generated500 builds a definition of 500 steps: tasks with forms, templates
// and guards, with a decision every tenth step.
func generated500() []byte {
	var b strings.Builder
	b.WriteString("key: big\nsummary: \"Big: {{ inputs.name }}\"\ninputs:\n  - {id: name, required: true}\n  - {id: amount, type: number}\n")
	b.WriteString("roles:\n  team: {group: team}\nsteps:\n")
	for i := 0; i < 500; i++ {
		if i%10 == 9 && i < 499 {
			fmt.Fprintf(&b, "  - id: s%d\n    kind: decision\n    rules:\n      - when: inputs.amount > %d && steps.s%d.data.ok\n        goto: s%d\n    default: s%d\n",
				i, i, i-1, i+1, i+1)
			continue
		}
		fmt.Fprintf(&b, "  - id: s%d\n    title: \"Step %d for {{ inputs.name }}\"\n    assignee: team\n    when: inputs.amount >= %d\n    due: 2 business days\n", i, i, i)
		fmt.Fprintf(&b, "    form:\n      - {id: ok, type: boolean, required: true}\n      - {id: note, type: text, max: 200, visible_when: \"!form.ok\"}\n      - {id: qty, type: number, min: 0}\n")
	}
	return []byte(b.String())
}

func TestGenerated500Compiles(t *testing.T) {
	t.Parallel()
	p, err := Compile(generated500())
	require500(t, err)
	if len(p.Steps) != 500 {
		t.Fatalf("want 500 steps, got %d", len(p.Steps))
	}
}

func require500(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkCompileExamples measures validate + compile (parse, check, type-check
// every expression) of each shipped example: what an editor needs as the owner
// types. D1 target: p50 ≤ 10 ms each.
func BenchmarkCompileExamples(b *testing.B) {
	files, err := filepath.Glob("examples/*.yaml")
	if err != nil || len(files) == 0 {
		b.Fatal("no examples", err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Compile(src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompile500Steps measures parse + validate + compile (type-checking
// every expression) of a 500-step definition. D1 target: ≤ 100 ms.
func BenchmarkCompile500Steps(b *testing.B) {
	src := generated500()
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvalRoutingRule measures a cached routing rule, run under the cost
// tracker as every evaluation is. C1: reported.
func BenchmarkEvalRoutingRule(b *testing.B) {
	p, err := Compile([]byte(`
key: route
inputs:
  - {id: amount, type: number}
  - {id: department, type: select, options: [eng, mkt]}
  - {id: vendor_type, type: select, options: [new, existing]}
steps:
  - {id: a, assignee: requester}
`))
	if err != nil {
		b.Fatal(err)
	}
	e := NewEngine()
	v := Vars{Inputs: map[string]any{"amount": 7200.0, "department": "eng", "vendor_type": "new"}}
	rule := `inputs.amount > 5000 && (inputs.department == "eng" || inputs.vendor_type == "new")`
	b.ReportAllocs()
	for b.Loop() {
		ok, err := e.EvalBool(p, rule, v)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkRenderTemplate measures a cached two-expression template.
func BenchmarkRenderTemplate(b *testing.B) {
	p, err := Compile(generated500())
	if err != nil {
		b.Fatal(err)
	}
	e := NewEngine()
	v := Vars{Inputs: map[string]any{"name": "Jane", "amount": 12.0}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Render(p, "Step for {{ inputs.name }}: {{ inputs.amount * 2 }}", v); err != nil {
			b.Fatal(err)
		}
	}
}
