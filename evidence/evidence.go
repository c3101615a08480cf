// Package evidence assembles and checks a run's evidence: the exact definition
// version it ran, its audit trail, and a SHA-256 digest over its canonical Temporal
// history (see Canonical), so that an auditor can later prove the record is unchanged.
package evidence

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"

	"github.com/handoffhq/handoff/audit"
	"github.com/handoffhq/handoff/workflows"
)

// Evidence is the document GET /v1/runs/{id}/evidence answers and
// `handoff evidence verify` checks.
type Evidence struct {
	RunID       string     `json:"run_id"`
	Temporal    Temporal   `json:"temporal"`
	Definition  Definition `json:"definition"`
	Audit       Audit      `json:"audit"`
	History     History    `json:"history"`
	GeneratedAt time.Time  `json:"generated_at"`
}

// Temporal locates the history: the workflow and its last execution when the
// evidence was generated (earlier executions are reached through continue-as-new).
type Temporal struct {
	Namespace  string `json:"namespace"`
	WorkflowID string `json:"workflow_id"`
	RunID      string `json:"run_id"`
}

// Definition is the published version the run executed.
type Definition struct {
	Key     string `json:"key"`
	Version int    `json:"version"`
	Hash    string `json:"hash"`
	Source  string `json:"source"`
}

// Audit is the run's audit trail as derived from the digested history.
type Audit struct {
	Events []audit.Event `json:"events"`
}

// History says what the digest covers: the first Events events of the run's history
// in Canonical form.
type History struct {
	Events    int    `json:"events"`
	Digest    string `json:"digest"`
	Canonical string `json:"canonical"`
}

// RunDefinition reads which definition version a run executes from the first event
// of its history: the key, the version and the program's source hash.
func RunDefinition(history []*historypb.HistoryEvent, dc converter.DataConverter) (key string, version int, hash string, err error) {
	if len(history) == 0 || history[0].GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED {
		return "", 0, "", errors.New("the history does not begin with the run's start")
	}
	var in workflows.RunInput
	if err := dc.FromPayloads(history[0].GetWorkflowExecutionStartedEventAttributes().GetInput(), &in); err != nil {
		return "", 0, "", fmt.Errorf("decode run input: %w", err)
	}
	if in.Program == nil {
		return "", 0, "", errors.New("the run input carries no program")
	}
	return in.Program.Key, in.Version, in.Program.Hash, nil
}

// New assembles the evidence of a run from its whole history and the source of the
// definition version it ran (def.Source must hash to the program's hash).
func New(ref Temporal, def Definition, history []*historypb.HistoryEvent, dc converter.DataConverter, now time.Time) (*Evidence, error) {
	if err := checkDefinition(def, history, dc); err != nil {
		return nil, err
	}
	events, err := audit.Build(history, dc)
	if err != nil {
		return nil, fmt.Errorf("build audit trail: %w", err)
	}
	digest, err := Digest(history)
	if err != nil {
		return nil, fmt.Errorf("digest history: %w", err)
	}
	return &Evidence{
		RunID: ref.WorkflowID, Temporal: ref, Definition: def,
		Audit:       Audit{Events: events},
		History:     History{Events: len(history), Digest: digest, Canonical: CanonicalForm},
		GeneratedAt: now.UTC(),
	}, nil
}

// checkDefinition reports whether def is the definition version the history ran.
func checkDefinition(def Definition, history []*historypb.HistoryEvent, dc converter.DataConverter) error {
	key, version, hash, err := RunDefinition(history, dc)
	if err != nil {
		return err
	}
	switch {
	case def.Key != key || def.Version != version:
		return fmt.Errorf("the run executed %s version %d, not %s version %d", key, version, def.Key, def.Version)
	case sourceHash(def.Source) != def.Hash:
		return fmt.Errorf("the definition source does not hash to %s", def.Hash)
	case def.Hash != hash:
		return fmt.Errorf("the definition hash %s is not the hash %s of the program the run executed", def.Hash, hash)
	}
	return nil
}
