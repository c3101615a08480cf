package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/handoffhq/handoff/evidence"
)

func newEvidenceCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evidence",
		Short: "Work with run evidence (GET /v1/runs/{id}/evidence)",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "verify FILE",
		Short: "Re-read the run's history from Temporal and check the evidence still matches it",
		Long: `verify reads an evidence file, fetches the run's history from Temporal
(TEMPORAL_ADDRESS, in the namespace the evidence names), recomputes the history digest,
the definition hash and the audit trail, and says whether they still match. It exits 1
when they do not. With payload encryption on, HANDOFF_ENCRYPTION_KEYS must hold the keys
the run was encrypted with (the digest itself needs no keys). See docs/evidence.md.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return verifyEvidence(cmd.Context(), *cfg, args[0], cmd.OutOrStdout())
		},
	})
	return cmd
}

// verifyEvidence checks the evidence file at path against Temporal and reports to out.
func verifyEvidence(ctx context.Context, cfg Config, path string, out io.Writer) error {
	ev, err := readEvidence(path)
	if err != nil {
		return err
	}
	dc, err := cfg.DataConverter()
	if err != nil {
		return err
	}
	namespace := ev.Temporal.Namespace
	if namespace == "" {
		namespace = cfg.TemporalNamespace
	}
	c, err := client.DialContext(ctx, client.Options{HostPort: cfg.TemporalAddress, Namespace: namespace,
		DataConverter: dc, Logger: sdklog.NewStructuredLogger(quieter(cfg.Logger()))})
	if err != nil {
		return fmt.Errorf("connect to temporal at %s: %w", cfg.TemporalAddress, err)
	}
	defer c.Close()
	history, _, err := evidence.FetchHistory(ctx, c, ev.Temporal.WorkflowID, ev.Temporal.RunID)
	if err != nil {
		return err
	}
	err = evidence.Verify(ev, history, dc)
	var mismatch *evidence.MismatchError
	if errors.As(err, &mismatch) {
		fmt.Fprintf(out, "MISMATCH: the evidence of run %s does not match its history in Temporal:\n", ev.RunID)
		for _, p := range mismatch.Problems {
			fmt.Fprintf(out, "  - %s\n", p)
		}
		return exitError{"evidence does not match"}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "OK: the evidence of run %s matches its history in Temporal\n", ev.RunID)
	fmt.Fprintf(out, "  history     %d events, %s (%s)\n", ev.History.Events, ev.History.Digest, ev.History.Canonical)
	fmt.Fprintf(out, "  definition  %s version %d, %s\n", ev.Definition.Key, ev.Definition.Version, ev.Definition.Hash)
	fmt.Fprintf(out, "  audit       %d events\n", len(ev.Audit.Events))
	if len(history) > ev.History.Events {
		fmt.Fprintf(out, "  the run has %d more events since the evidence was generated\n", len(history)-ev.History.Events)
	}
	return nil
}

// readEvidence reads and checks the shape of an evidence file.
func readEvidence(path string) (*evidence.Evidence, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ev evidence.Evidence
	if err := json.Unmarshal(b, &ev); err != nil {
		return nil, fmt.Errorf("%s is not an evidence file: %w", path, err)
	}
	if ev.Temporal.WorkflowID == "" || ev.History.Digest == "" {
		return nil, fmt.Errorf("%s is not an evidence file: it names no run or digest", path)
	}
	return &ev, nil
}
