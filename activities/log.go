package activities

import (
	"context"
	"log/slog"

	"go.temporal.io/sdk/activity"

	"github.com/handoffhq/handoff/workflows"
)

// LogHandler wraps h so that every record logged with an activity's context names the run
// (run_id, the workflow id, which is the API's run id), the activity and its attempt. The
// worker gives the Activities a logger built on it, so activity logs need not repeat them.
func LogHandler(h slog.Handler) slog.Handler { return runHandler{h} }

type runHandler struct{ slog.Handler }

func (h runHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil && activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		r = r.Clone()
		r.AddAttrs(slog.String("run_id", info.WorkflowExecution.ID), slog.String("activity", info.ActivityType.Name),
			slog.Int("attempt", int(info.Attempt)))
	}
	return h.Handler.Handle(ctx, r)
}

func (h runHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return runHandler{h.Handler.WithAttrs(attrs)}
}

func (h runHandler) WithGroup(name string) slog.Handler { return runHandler{h.Handler.WithGroup(name)} }

// logInbox writes a debug line per write, and per task the projection closed or opened,
// with its task_id (and, through LogHandler, its run_id).
func (a *Activities) logInbox(ctx context.Context, s workflows.InboxSync, write string, opened []workflows.Task) {
	if a.Logger == nil {
		return
	}
	closed := s.Close
	if s.Seq != 0 {
		a.Logger.DebugContext(ctx, "inbox write", "seq", s.Seq, "fence", s.Fence, "write", write)
	}
	for _, t := range closed {
		a.Logger.DebugContext(ctx, "task closed", "task_id", t.ID, "step", t.StepID, "status", t.Status)
	}
	for _, t := range opened {
		a.Logger.DebugContext(ctx, "task opened", "task_id", t.ID, "step", t.StepID, "assignees", t.Assignees)
	}
}
