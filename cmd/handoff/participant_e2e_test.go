package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/internal/participant"
	"github.com/handoffhq/handoff/internal/secrets"
	"github.com/handoffhq/handoff/outbox"
	"github.com/handoffhq/handoff/postgres"
)

var updateWalks = flag.Bool("update-walks", false, "rewrite cmd/handoff/testdata/walks/*.txt from the participant driver's walks")

// company is the directory the shipped examples are worked in: someone in every group
// their roles name, each named person, and a management chain for "manager of" roles.
var company = []participant.User{
	{ID: "rita", Manager: "max"}, // the requester of every walked run
	{ID: "max", Manager: "olivia"},
	{ID: "olivia"},
	{ID: "ed", Groups: []string{"editorial"}},
	{ID: "lena", Groups: []string{"legal"}},
	{ID: "bree", Groups: []string{"brand"}},
	{ID: "hana", Groups: []string{"hr"}},
	{ID: "ivan", Groups: []string{"it-support"}},
	{ID: "paula", Groups: []string{"payroll"}},
	{ID: "fiona", Groups: []string{"finance"}},
	{ID: "pete", Groups: []string{"procurement"}},
	{ID: "sid", Groups: []string{"security"}},
	{ID: "vera", Groups: []string{"vendor-risk"}},
	{ID: "aaron", Groups: []string{"accounts-payable"}},
	{ID: "tess", Groups: []string{"treasury"}},
	{ID: "dr_kim"}, {ID: "dr_osei"}, {ID: "dr_lund"},
	{ID: "mia"}, {ID: "noah"}, {ID: "lea"},
	{ID: "carol"}, {ID: "dave"}, {ID: "erin"}, {ID: "sam"},
}

// walkSeeds are the inputs each example is walked with besides the generated ones:
// amounts on each side of purchase-approval's thresholds (the driver explores select and
// boolean inputs by itself, not numbers).
var walkSeeds = map[string][]participant.Path{
	"purchase-approval": {{}, {Inputs: map[string]any{"amount": 20000}}, {Inputs: map[string]any{"amount": 60000}}},
}

// participantStack is a stack whose integrations, secrets, subscription and directory
// are set up for the participant driver.
type participantStack struct {
	*stack
	driver *participant.Driver
	sink   *participant.Sink
	keys   []string // the published examples' keys
}

func newParticipantStack(t *testing.T) *participantStack {
	t.Helper()
	sink := participant.NewSink()
	events := httptest.NewServer(sink) // the subscription delivers here, through the SSRF guard
	t.Cleanup(events.Close)
	s := newStackWith(t, func(m *Main) { m.Outbound = sink.Transport() }, func(c *Config) {
		c.HTTPAllow = strings.TrimPrefix(events.URL, "http://")
		c.SecretsKey = secrets.NewKey()
	})
	for _, u := range company {
		s.addUser(postgres.User{ID: u.ID, Name: u.ID, Email: u.ID + "@example.com", Role: "member", Groups: u.Groups, Manager: u.Manager})
	}
	signing := make([]byte, 32)
	_, _ = rand.Read(signing)
	for name, value := range map[string]string{
		"cms-token": "Bearer cms-test", "directory-api-token": "Bearer directory-test", "erp-api-key": "erp-test",
		"purchasing-slack-webhook": "https://hooks.slack.example/services/T0/B0/X",
		"notify_webhook_secret":    "whsec_" + base64.StdEncoding.EncodeToString(signing),
	} {
		s.do("admin", "PUT", "/v1/secrets/"+name, map[string]any{"value": value}).must(t, http.StatusNoContent)
	}
	s.do("admin", "POST", "/v1/subscriptions", map[string]any{"url": events.URL + participant.EventsPath,
		"events": outbox.EventTypes(), "description": "participant driver"}).must(t, http.StatusCreated)
	ps := &participantStack{stack: s, sink: sink}
	files, err := filepath.Glob(filepath.Join("..", "..", "definitions", "examples", "*.yaml"))
	require.NoError(t, err)
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		prog, err := definitions.Compile(src)
		require.NoError(t, err, f)
		s.do("dana", "POST", "/v1/definitions", string(src)).must(t, http.StatusCreated)
		ps.keys = append(ps.keys, prog.Key)
	}
	ps.driver = &participant.Driver{
		Client:  &participant.Client{BaseURL: s.url, Keys: s.keys, Admin: "admin"},
		Sink:    sink,
		Starter: "rita",
		Users:   company,
	}
	return ps
}

// TestParticipantWalksEveryExample drives every shipped example on every path the
// participant driver finds — every option of every choice: inputs that route, task
// outcomes, approvals approved and rejected (with send-back), integrations that answer or
// fail and the fix-it's retry, skip and edit, events delivered and timed out, long waits
// expedited — through the API as the people in the runs. Each walk must end, its audit
// trail, evidence and outbound events must agree with what the driver did, and the
// paths with their ends must be those in testdata/walks (-update-walks rewrites them).
func TestParticipantWalksEveryExample(t *testing.T) {
	ps := newParticipantStack(t)
	for _, key := range ps.keys {
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
			defer cancel()
			walks, err := ps.driver.Explore(ctx, key, walkSeeds[key], 3)
			require.NoError(t, err)
			for _, w := range walks {
				require.NoError(t, ps.driver.Check(ctx, w), participant.Summary(w))
			}
			got := strings.Join(participant.Summaries(walks), "\n") + "\n"
			golden := filepath.Join("testdata", "walks", key+".txt")
			if *updateWalks {
				require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "no walks recorded for %s: run with -update-walks and review them", key)
			require.Equal(t, string(want), got, "the paths of %s and how they end", key)
		})
	}
}

// recordWalks adds to the replay corpus (make histories) the history of every run of
// every path the participant driver walks through the shipped examples:
// walk-<definition>-<n>.json, and walk-<definition>-<n>-<step>.json for a subprocess.
func recordWalks(t *testing.T, dir string, executions map[string]recordedExecution) {
	ps := newParticipantStack(t)
	ctx := context.Background()
	for _, key := range ps.keys {
		walks, err := ps.driver.Explore(ctx, key, walkSeeds[key], 3)
		require.NoError(t, err)
		sort.Slice(walks, func(i, j int) bool { return participant.Summary(walks[i]) < participant.Summary(walks[j]) })
		for i, w := range walks {
			for j, run := range w.Runs {
				name := fmt.Sprintf("walk-%s-%02d.json", key, i+1)
				if j > 0 {
					name = fmt.Sprintf("walk-%s-%02d-%s.json", key, i+1, strings.ReplaceAll(strings.TrimPrefix(run, w.RunID+"."), ".", "-"))
				}
				d, err := ps.main.Temporal.DescribeWorkflow(ctx, run, "")
				require.NoError(t, err)
				writeHistory(t, ps.stack, run, filepath.Join(dir, name))
				executions[name] = recordedExecution{WorkflowID: run, RunID: d.RawResponse.GetWorkflowExecutionInfo().GetExecution().GetRunId()}
			}
		}
	}
}
