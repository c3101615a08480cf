package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestVersionChoosesHowTheInboxIsWritten runs the same process pinned to each interpreter
// version, and unpinned (a schedule's run, which records the current version with
// GetVersion): version 1 writes the inbox with regular activities, version 2 with local ones.
func TestVersionChoosesHowTheInboxIsWritten(t *testing.T) {
	for _, tt := range []struct {
		name        string
		interpreter int
		local       bool
	}{
		{"pinned to 1", 1, false},
		{"pinned to 2", 2, true},
		{"unpinned: the current version", 0, InterpreterVersion >= 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, in := newHarness(t, twoTasks)
			in.Interpreter = tt.interpreter
			h.at(time.Second, func() {
				h.complete(CompleteRequest{TaskID: taskID("details"), Actor: "alice", Data: map[string]any{"laptop": "X1", "monitors": 2.0}})
			})
			h.at(2*time.Second, func() {
				h.complete(CompleteRequest{TaskID: taskID("budget"), Actor: "bob", ActorGroups: []string{"finance"}, Data: map[string]any{"cost": 10.0}})
			})
			st, err := h.run(in)
			require.NoError(t, err)
			require.Equal(t, StatusCompleted, st.Status)
			require.NotEmpty(t, h.inbox.local)
			for i, local := range h.inbox.local {
				require.Equal(t, tt.local, local, "inbox write %d", i)
			}
		})
	}
}

// TestVersionNewerThanTheWorker: a run pinned to a version this worker does not know
// fails its workflow task (Temporal retries it until a newer worker takes it).
func TestVersionNewerThanTheWorker(t *testing.T) {
	h, in := newHarness(t, twoTasks)
	in.Interpreter = InterpreterVersion + 1
	h.env.ExecuteWorkflow(WorkflowName, in)
	err := h.env.GetWorkflowError()
	require.Error(t, err)
	require.Contains(t, err.Error(), "this worker runs versions 1 to")
	require.Empty(t, h.inbox.syncs, "nothing was written")
}
