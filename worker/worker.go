// Package worker registers Handoff's workflow and activities on a Temporal worker.
package worker

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/handoffhq/handoff/activities"
	"github.com/handoffhq/handoff/workflows"
)

// New returns a worker on the task queue (workflows.TaskQueue in production; tests give
// each stack its own) running the interpreter and the activities.
func New(c client.Client, queue string, interp *workflows.Interpreter, acts *activities.Activities, opts worker.Options) worker.Worker {
	w := worker.New(c, queue, opts)
	Register(w, interp, acts)
	return w
}

// registry is what Register needs: a worker, or the testsuite's environment.
type registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
	RegisterActivityWithOptions(a any, options activity.RegisterOptions)
}

// Register registers the interpreter and the activities under their fixed names.
// Tests use it with the testsuite's environment.
func Register(r registry, interp *workflows.Interpreter, acts *activities.Activities) {
	r.RegisterWorkflowWithOptions(interp.Run, workflow.RegisterOptions{Name: workflows.WorkflowName})
	r.RegisterActivityWithOptions(acts.SyncInbox, activity.RegisterOptions{Name: workflows.ActivitySyncInbox})
	r.RegisterActivityWithOptions(acts.LoadDefinition, activity.RegisterOptions{Name: workflows.ActivityLoadDefinition})
	r.RegisterActivityWithOptions(acts.HTTPCall, activity.RegisterOptions{Name: workflows.ActivityHTTP})
	r.RegisterActivityWithOptions(acts.Notify, activity.RegisterOptions{Name: workflows.ActivityNotify})
	r.RegisterActivityWithOptions(acts.LookupUser, activity.RegisterOptions{Name: workflows.ActivityLookupUser})
}
