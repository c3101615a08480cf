package workflows

import (
	"crypto/sha256"
	"encoding/json"
	"runtime"
	"sync"
	"weak"

	"github.com/handoffhq/handoff/definitions"
)

// UnmarshalJSON decodes a run input, sharing one decoded program among all the inputs
// that carry the same program bytes: a thousand waiting runs of one definition version
// hold one copy instead of a thousand (the SDK keeps each run's decoded input for as
// long as the run is cached; issue 18, worker memory per waiting run). Equal bytes
// decode to equal values, so no run can tell; runs only read their program
// (definitions.Program is read-only; TestRunsOnlyReadTheirProgram).
func (in *RunInput) UnmarshalJSON(b []byte) error {
	type plain RunInput // without this method
	var raw struct {
		plain
		Program json.RawMessage `json:"program"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*in = RunInput(raw.plain)
	if len(raw.Program) == 0 || string(raw.Program) == "null" {
		return nil
	}
	p, err := sharedProgram(raw.Program)
	in.Program = p
	return err
}

// programs maps the SHA-256 of a program's JSON to its decoded program for as long as a
// run holds it: the entries are weak, and one whose program was collected goes.
var programs = struct {
	sync.Mutex
	m map[[sha256.Size]byte]weak.Pointer[definitions.Program]
}{m: map[[sha256.Size]byte]weak.Pointer[definitions.Program]{}}

// sharedProgram returns the program held for these bytes, or decodes and holds it.
func sharedProgram(b []byte) (*definitions.Program, error) {
	key := sha256.Sum256(b)
	programs.Lock()
	held := programs.m[key].Value()
	programs.Unlock()
	if held != nil {
		return held, nil
	}
	p := new(definitions.Program)
	if err := json.Unmarshal(b, p); err != nil {
		return nil, err
	}
	programs.Lock()
	defer programs.Unlock()
	if held := programs.m[key].Value(); held != nil {
		return held, nil // decoded meanwhile by another run
	}
	programs.m[key] = weak.Make(p)
	runtime.AddCleanup(p, forgetProgram, key)
	return p, nil
}

// forgetProgram drops the entry of a collected program (unless a new one took its place).
func forgetProgram(key [sha256.Size]byte) {
	programs.Lock()
	defer programs.Unlock()
	if programs.m[key].Value() == nil {
		delete(programs.m, key)
	}
}
