package audit

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/internal/testenv"
	"github.com/handoffhq/handoff/workflows"
)

var record = flag.Bool("record", false, "record testdata/*.history.json from runs on a real Temporal dev server")

func TestMain(m *testing.M) { testenv.Run(m) }

// TestRecordHistories runs the scenarios (definitions in testdata/definitions) on the dev server with the real interpreter
// and stand-in activities, and writes their histories to testdata/. Run it with
// `go test ./audit -run TestRecordHistories -record`, then `-update` the golden files.
func TestRecordHistories(t *testing.T) {
	if !*record {
		t.Skip("pass -record to record the histories")
	}
	r := newRecorder(t)
	scenarios := []struct {
		name string
		run  func(r *recorder) []string
	}{
		{"purchase", (*recorder).purchase},
		{"vendor-cancelled", (*recorder).vendorCancelled},
		{"sync-failed", (*recorder).syncFailed},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			r.t = t
			for i, id := range sc.run(r) {
				name := sc.name
				if i > 0 {
					name += "-child"
				}
				// Histories of older interpreter versions stay: runs on them may be open.
				name += fmt.Sprintf("-v%d", workflows.InterpreterVersion)
				r.write(name, id)
			}
		})
	}
}

// recorder drives runs through a worker of its own.
type recorder struct {
	t      *testing.T
	client client.Client
	progs  map[string]*definitions.Program
}

func newRecorder(t *testing.T) *recorder {
	tmp := testenv.Temporal(t)
	c, err := client.Dial(client.Options{HostPort: tmp.HostPort, Namespace: tmp.Namespace, Identity: "audit-recorder",
		Logger: log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	r := &recorder{t: t, client: c, progs: map[string]*definitions.Program{}}
	files, err := filepath.Glob(filepath.Join("testdata", "definitions", "*.yaml"))
	require.NoError(t, err)
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		p, err := definitions.Compile(src)
		require.NoError(t, err, f)
		r.progs[p.Key] = p
	}
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(workflows.NewInterpreter(definitions.NewEngine()).Run,
		workflow.RegisterOptions{Name: workflows.WorkflowName})
	w.RegisterActivityWithOptions(fakeSyncInbox, activity.RegisterOptions{Name: workflows.ActivitySyncInbox})
	w.RegisterActivityWithOptions(fakeHTTP, activity.RegisterOptions{Name: workflows.ActivityHTTP})
	w.RegisterActivityWithOptions(fakeNotify, activity.RegisterOptions{Name: workflows.ActivityNotify})
	w.RegisterActivityWithOptions(r.loadDefinition, activity.RegisterOptions{Name: workflows.ActivityLoadDefinition})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return r
}

// Stand-in activities: a directory where ann's manager is mona, an ERP that fails on
// URLs containing "fail", a mailer that always works.
func fakeSyncInbox(_ context.Context, s workflows.InboxSync) (workflows.InboxResult, error) {
	managers := map[string]string{"ann": "mona"}
	res := workflows.InboxResult{Assignees: [][]string{}, Written: &s} // as the real one does as a local activity
	for _, o := range s.Open {
		who := append([]string{}, o.Task.Assignees...)
		for _, u := range o.ManagerOf {
			who = append(who, managers[u])
		}
		res.Assignees = append(res.Assignees, who)
	}
	return res, nil
}

func fakeHTTP(_ context.Context, req workflows.HTTPRequest) (workflows.HTTPResponse, error) {
	if strings.Contains(req.URL, "/fail/") {
		return workflows.HTTPResponse{}, temporal.NewApplicationError(req.URL+" answered 503 Service Unavailable", "HTTPStatus")
	}
	return workflows.HTTPResponse{Status: 201, Body: map[string]any{"po_number": "PO-7"}}, nil
}

func fakeNotify(context.Context, workflows.NotifyRequest) error { return nil }

func (r *recorder) loadDefinition(_ context.Context, req workflows.LoadDefinitionRequest) (workflows.LoadedDefinition, error) {
	p, ok := r.progs[req.Key]
	if !ok {
		return workflows.LoadedDefinition{}, errors.New("unknown definition " + req.Key)
	}
	return workflows.LoadedDefinition{Program: p, Version: 1}, nil
}

// start starts a run of key as startedBy.
func (r *recorder) start(key, id, startedBy string, inputs map[string]any) string {
	_, err := r.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		workflows.WorkflowName, workflows.RunInput{Program: r.progs[key], Version: 1, Inputs: inputs, StartedBy: startedBy})
	require.NoError(r.t, err)
	return id
}

// state queries the run's state.
func (r *recorder) state(id string) workflows.RunState {
	v, err := r.client.QueryWorkflow(context.Background(), id, "", workflows.QueryState)
	require.NoError(r.t, err)
	var s workflows.RunState
	require.NoError(r.t, v.Get(&s))
	return s
}

// waitTask waits until the run has the open task and returns it.
func (r *recorder) waitTask(runID, taskID string) workflows.Task {
	var found workflows.Task
	r.waitFor(runID, "task "+taskID+" is open", func(s workflows.RunState) bool {
		for _, t := range s.OpenTasks {
			if t.ID == taskID {
				found = t
				return true
			}
		}
		return false
	})
	return found
}

// waitFor polls the run's state until cond holds (30 s at most).
func (r *recorder) waitFor(runID, what string, cond func(workflows.RunState) bool) {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond(r.state(runID)) {
		if time.Now().After(deadline) {
			r.t.Fatalf("run %s: gave up waiting until %s", runID, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// update sends an Update and waits for its result.
func (r *recorder) update(runID, name string, arg, result any) {
	r.t.Helper()
	h, err := r.client.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{
		WorkflowID: runID, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	require.NoError(r.t, err, "%s update", name)
	require.NoError(r.t, h.Get(context.Background(), result), "%s update", name)
}

func (r *recorder) complete(runID string, req workflows.CompleteRequest) {
	var res workflows.CompleteResult
	r.update(runID, workflows.UpdateComplete, req, &res)
}

func (r *recorder) own(runID string, req workflows.OwnershipRequest) {
	var t workflows.Task
	r.update(runID, req.Kind, req, &t)
}

// waitEnded waits for the run to close.
func (r *recorder) waitEnded(runID string) {
	err := r.client.GetWorkflow(context.Background(), runID, "").Get(context.Background(), nil)
	r.t.Logf("run %s ended: %v", runID, err)
}

// write stores the run's history as testdata/<name>.history.json.
func (r *recorder) write(name, runID string) {
	var events []*historypb.HistoryEvent
	it := r.client.GetWorkflowHistory(context.Background(), runID, "", false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(r.t, err)
		events = append(events, ev)
	}
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(&historypb.History{Events: events})
	require.NoError(r.t, err)
	path := filepath.Join("testdata", name+".history.json")
	require.NoError(r.t, os.WriteFile(path, b, 0o644))
	r.t.Logf("wrote %s (%d events)", path, len(events))
}

// cancel requests cancellation the way the API does.
func (r *recorder) cancel(runID, identity, reason string) {
	_, err := r.client.WorkflowService().RequestCancelWorkflowExecution(context.Background(),
		&workflowservice.RequestCancelWorkflowExecutionRequest{Namespace: testenv.Temporal(r.t).Namespace,
			WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: runID}, Identity: identity, Reason: reason})
	require.NoError(r.t, err)
}

// uniqueID keeps run ids apart between recordings on one server.
func uniqueID(prefix string) string { return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1e6) }
