package evidence

import (
	"context"
	"fmt"
	"slices"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
)

// maxExecutions bounds how many continue-as-new links FetchHistory follows.
const maxExecutions = 10000

// FetchHistory reads a run's whole history from Temporal: the execution runID of
// workflowID ("" for the latest) and, before it, every execution it continued from
// (continue-as-new), oldest first. It returns the events and the run id of the last
// execution read.
func FetchHistory(ctx context.Context, c client.Client, workflowID, runID string) ([]*historypb.HistoryEvent, string, error) {
	if runID == "" {
		d, err := c.DescribeWorkflow(ctx, workflowID, "")
		if err != nil {
			return nil, "", fmt.Errorf("describe run %s: %w", workflowID, err)
		}
		runID = d.RawResponse.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	}
	last := runID
	var chain [][]*historypb.HistoryEvent
	for range maxExecutions {
		events, err := executionHistory(ctx, c, workflowID, runID)
		if err != nil {
			return nil, "", err
		}
		chain = append(chain, events)
		runID = continuedFrom(events)
		if runID == "" {
			break
		}
	}
	slices.Reverse(chain)
	return slices.Concat(chain...), last, nil
}

// executionHistory reads the history of one workflow execution.
func executionHistory(ctx context.Context, c client.Client, workflowID, runID string) ([]*historypb.HistoryEvent, error) {
	var events []*historypb.HistoryEvent
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("read history of run %s (%s): %w", workflowID, runID, err)
		}
		events = append(events, ev)
	}
	return events, nil
}

// continuedFrom is the execution an execution continued from by continue-as-new, or "".
func continuedFrom(events []*historypb.HistoryEvent) string {
	if len(events) == 0 {
		return ""
	}
	a := events[0].GetWorkflowExecutionStartedEventAttributes()
	if a.GetInitiator() != enumspb.CONTINUE_AS_NEW_INITIATOR_WORKFLOW {
		return ""
	}
	return a.GetContinuedExecutionRunId()
}
