package evidence

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"

	"github.com/handoffhq/handoff/audit"
)

// MismatchError lists every way evidence disagrees with the history it was checked against.
type MismatchError struct {
	Problems []string
}

func (e *MismatchError) Error() string {
	return "the evidence does not match the run's history: " + strings.Join(e.Problems, "; ")
}

// Verify checks evidence against a run's history as it is now: the first
// ev.History.Events events must hash to the recorded digest (later events are allowed:
// a run that was still going when the evidence was made has moved on), the definition
// source must hash to its recorded hash and be what the run executed, and the audit
// trail must be the one those events yield. It returns a *MismatchError naming every
// difference, or another error when the history cannot be read at all.
func Verify(ev *Evidence, history []*historypb.HistoryEvent, dc converter.DataConverter) error {
	var problems []string
	if ev.History.Canonical != CanonicalForm {
		problems = append(problems, fmt.Sprintf("unknown canonical form %q (this handoff computes %q)", ev.History.Canonical, CanonicalForm))
	}
	n := ev.History.Events
	if n <= 0 || n > len(history) {
		problems = append(problems, fmt.Sprintf("the evidence covers %d events but the history has %d", n, len(history)))
		return &MismatchError{Problems: problems}
	}
	covered := history[:n]
	digest, err := Digest(covered)
	if err != nil {
		return fmt.Errorf("digest history: %w", err)
	}
	if digest != ev.History.Digest {
		problems = append(problems, fmt.Sprintf("the history digest is %s, the evidence says %s", digest, ev.History.Digest))
	}
	if err := checkDefinition(ev.Definition, covered, dc); err != nil {
		problems = append(problems, err.Error())
	}
	same, err := sameAudit(ev.Audit.Events, covered, dc)
	if err != nil {
		return err
	}
	if !same {
		problems = append(problems, "the audit trail differs from the one the history yields")
	}
	if len(problems) > 0 {
		return &MismatchError{Problems: problems}
	}
	return nil
}

// sameAudit compares recorded audit events with those derived from history, as JSON
// (the recorded ones went through a file).
func sameAudit(recorded []audit.Event, history []*historypb.HistoryEvent, dc converter.DataConverter) (bool, error) {
	derived, err := audit.Build(history, dc)
	if err != nil {
		return false, fmt.Errorf("build audit trail: %w", err)
	}
	a, err := asJSONValue(recorded)
	if err != nil {
		return false, err
	}
	b, err := asJSONValue(derived)
	if err != nil {
		return false, err
	}
	return reflect.DeepEqual(a, b), nil
}

func asJSONValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode audit trail: %w", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decode audit trail: %w", err)
	}
	return out, nil
}
