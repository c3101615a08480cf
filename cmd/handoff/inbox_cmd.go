package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/handoffhq/handoff/activities"
	"github.com/handoffhq/handoff/evidence"
	"github.com/handoffhq/handoff/workflows"
)

func newInboxCmd(cfg *Config) *cobra.Command {
	inbox := &cobra.Command{Use: "inbox", Short: "Work with the inbox projection in Postgres"}
	var runs []string
	var parallel int
	rebuild := &cobra.Command{
		Use:   "rebuild",
		Short: "Rewrite the inbox projection (runs, tasks, inbox entries) from the runs' histories in Temporal",
		Long: `rebuild lists the Handoff runs on HANDOFF_TASK_QUEUE in the namespace (or the runs
named with --run), reads each one's history from Temporal and rewrites its row, its tasks
and their inbox entries in Postgres as the history says: the answer to a projection
restored to an earlier point in time, or one in doubt. It sends no email and no event.
Runs keep running meanwhile: a run that writes while it is rebuilt keeps its own, later
write. See docs/operations.md.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return rebuildInbox(cmd.Context(), *cfg, runs, parallel, cmd.OutOrStdout())
		},
	}
	rebuild.Flags().StringArrayVar(&runs, "run", nil, "rebuild only this run id (repeatable)")
	rebuild.Flags().IntVar(&parallel, "parallel", 4, "runs rebuilt at a time")
	inbox.AddCommand(rebuild)
	return inbox
}

// rebuildInbox rebuilds the projection of the runs (every Handoff run of the namespace
// when none is named), printing progress to out.
func rebuildInbox(ctx context.Context, cfg Config, runs []string, parallel int, out io.Writer) error {
	db, err := openDB(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	opts, err := cfg.TemporalClientOptions()
	if err != nil {
		return err
	}
	if opts.DataConverter, err = cfg.DataConverter(); err != nil {
		return err
	}
	opts.Logger = sdklog.NewStructuredLogger(quieter(cfg.Logger()))
	tc, err := client.DialContext(ctx, opts)
	if err != nil {
		return fmt.Errorf("connect to temporal at %s: %w", cfg.TemporalAddress, err)
	}
	defer tc.Close()
	if len(runs) == 0 {
		if runs, err = handoffRuns(ctx, tc, cfg.TemporalNamespace, cfg.TaskQueue); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "rebuilding the projection of %d runs from Temporal\n", len(runs))
	acts := &activities.Activities{DB: db}
	var (
		mu                   sync.Mutex
		done, written, tasks int
		failed               []string
		wg                   sync.WaitGroup
		lastReport           = time.Now()
	)
	ids := make(chan string)
	for range max(parallel, 1) {
		wg.Go(func() {
			for id := range ids {
				history, _, err := evidence.FetchHistory(ctx, tc, id, "")
				var o activities.RebuildOutcome
				if err == nil {
					o, err = acts.Rebuild(ctx, history, opts.DataConverter)
				}
				mu.Lock()
				done++
				if err != nil {
					failed = append(failed, id)
					fmt.Fprintf(out, "run %s: %v\n", id, err)
				} else if o.Written {
					written++
					tasks += o.Tasks
				}
				if time.Since(lastReport) >= time.Second || done == len(runs) {
					fmt.Fprintf(out, "%d/%d runs: %d rewritten (%d tasks), %d unchanged, %d failed\n",
						done, len(runs), written, tasks, done-written-len(failed), len(failed))
					lastReport = time.Now()
				}
				mu.Unlock()
			}
		})
	}
	for _, id := range runs {
		ids <- id
	}
	close(ids)
	wg.Wait()
	if len(failed) > 0 {
		return exitError{fmt.Sprintf("%d of %d runs could not be rebuilt", len(failed), len(runs))}
	}
	return nil
}

// handoffRuns lists the ids of every Handoff run on the task queue, each once.
func handoffRuns(ctx context.Context, tc client.Client, namespace, queue string) ([]string, error) {
	seen := map[string]bool{}
	var ids []string
	var token []byte
	for {
		res, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: namespace,
			PageSize: 1000, NextPageToken: token, Query: fmt.Sprintf("WorkflowType = '%s' AND TaskQueue = '%s'", workflows.WorkflowName, queue)})
		if err != nil {
			return nil, fmt.Errorf("list the runs: %w", err)
		}
		for _, e := range res.GetExecutions() {
			if id := e.GetExecution().GetWorkflowId(); !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		if token = res.GetNextPageToken(); len(token) == 0 {
			return ids, nil
		}
	}
}
