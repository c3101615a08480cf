package definitions

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzCompile checks that no input makes Compile panic, that every error is
// positioned, and that a compiled program survives a JSON round trip.
// Seeds: testdata/fuzz/FuzzCompile. Run: go test -fuzz FuzzCompile ./definitions/
func FuzzCompile(f *testing.F) {
	f.Add([]byte("key: a\nsteps:\n  - id: s\n    assignee: requester\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Compile(src)
		if err != nil {
			if p != nil {
				t.Fatal("a program together with errors")
			}
			for _, e := range err.(*ErrorList).Errors {
				if e.Line < 0 || e.Column < 0 || e.Message == "" {
					t.Fatalf("bad error %+v", e)
				}
			}
			_ = err.(*ErrorList).Format("fuzz.yaml", src)
			return
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var q Program
		if err := json.Unmarshal(b, &q); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzRender checks that no template makes Render panic or run away.
// Seeds: testdata/fuzz/FuzzRender. Run: go test -fuzz FuzzRender ./definitions/
func FuzzRender(f *testing.F) {
	f.Add("Hello {{ inputs.name }}")
	p, err := Compile([]byte(engineSrc))
	if err != nil {
		f.Fatal(err)
	}
	e := NewEngine()
	f.Fuzz(func(t *testing.T, tmpl string) {
		start := time.Now()
		_, _ = e.Render(p, tmpl, engineVars())
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("render took %v", d)
		}
	})
}
