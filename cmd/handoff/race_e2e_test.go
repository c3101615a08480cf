package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// raceApproval is an approval any of three people may decide; what comes next depends on
// the decision, so a losing decision that reached the inbox would show as the wrong task.
const raceApproval = `key: race-approval
name: Race approval
roles:
  approvers: {users: [alice, bob, carol]}
  admin: {user: admin}
steps:
  - id: approve
    kind: approval
    assignee: approvers
  - id: gate
    kind: decision
    rules:
      - when: steps.approve.outcome == "rejected"
        goto: fix
    default: ship
  - id: ship
    assignee: admin
  - id: done
    kind: end
    outcome: shipped
  - id: fix
    assignee: admin
`

// raceForm is a task any of three people may complete with their own data.
const raceForm = `key: race-form
name: Race form
roles:
  doers: {users: [alice, bob, carol]}
  admin: {user: admin}
steps:
  - id: fill
    assignee: doers
    form:
      - {id: note, required: true}
  - id: check
    assignee: admin
`

// TestRacingCompletions races three assignees sending 20 completions each, at once, at
// one task, in 100 trials per definition. Exactly one completion wins in the run; the
// projection (the tasks row and GET /v1/tasks/{id}) must name that winner, with its
// outcome and data, and hold exactly the open tasks the run holds, in every trial
// (issue 14, finding 1: a losing completion's write, made in a workflow task Temporal
// discarded, used to stay in the inbox).
func TestRacingCompletions(t *testing.T) {
	s := newStack(t, func(c *Config) { c.MaxInFlight = 2048; c.LogLevel = "debug" })
	s.addUser(userWithGroups("carol"))
	s.do("dana", "POST", "/v1/definitions", raceApproval).must(t, http.StatusCreated)
	s.do("dana", "POST", "/v1/definitions", raceForm).must(t, http.StatusCreated)
	racers := []string{"alice", "bob", "carol"}
	const trials, each, atOnce = 25, 20, 6
	for _, tc := range []struct {
		def  string
		body func(user string, i int) map[string]any
	}{
		{"race-approval", func(user string, i int) map[string]any {
			outcome := "approved"
			if user != "alice" {
				outcome = "rejected"
			}
			return map[string]any{"outcome": outcome, "comment": fmt.Sprintf("%s says %s", user, outcome)}
		}},
		{"race-form", func(user string, i int) map[string]any {
			return map[string]any{"data": map[string]any{"note": fmt.Sprintf("%s-%d", user, i)}}
		}},
	} {
		t.Run(tc.def, func(t *testing.T) {
			var (
				mu       sync.Mutex
				problems []string
				wg       sync.WaitGroup
			)
			slots := make(chan struct{}, atOnce)
			for trial := range trials {
				slots <- struct{}{}
				wg.Go(func() {
					defer func() { <-slots }()
					if p := raceOnce(s, tc.def, racers, each, tc.body); p != "" {
						t.Log(p)
						mu.Lock()
						problems = append(problems, fmt.Sprintf("trial %d: %s", trial, p))
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			require.Empty(t, problems, "%d of %d trials: the projection disagrees with the run", len(problems), trials)
		})
	}
}

// raceOnce starts a run, races the completions and compares the projection with the
// run's own state; it returns what disagrees ("" when nothing does).
func raceOnce(s *stack, def string, racers []string, each int, body func(string, int) map[string]any) (problem string) {
	status, started := s.call("admin", "POST", "/v1/runs", map[string]any{"definition": def})
	if status != http.StatusCreated {
		return fmt.Sprintf("start: %d %v", status, started)
	}
	runID := started["id"].(string)
	defer func() {
		if problem != "" {
			problem = runID + ": " + problem
		}
	}()
	task := started["open_tasks"].([]any)[0].(map[string]any)["id"].(string)
	go1 := make(chan struct{})
	type won struct {
		user string
		body map[string]any
	}
	var (
		mu      sync.Mutex
		winners []won
		odd     []string
		wg      sync.WaitGroup
	)
	for _, u := range racers {
		for i := range each {
			wg.Go(func() {
				b := body(u, i)
				key := fmt.Sprintf("%s-%d", u, i)
				<-go1
				// An unanswered completion (the run did not answer in time) is sent again
				// with its Idempotency-Key, as a careful client does: if it had won, the
				// retry gets its answer.
				status, res := 0, map[string]any{}
				for range 10 {
					status, res = s.call(u, "POST", "/v1/tasks/"+task+"/complete", b, "Idempotency-Key", key)
					if status != http.StatusServiceUnavailable && status != 0 {
						break
					}
				}
				mu.Lock()
				defer mu.Unlock()
				switch status {
				case http.StatusOK:
					winners = append(winners, won{u, b})
				case http.StatusConflict:
				default:
					odd = append(odd, fmt.Sprintf("%s: %d %v", u, status, res))
				}
			})
		}
	}
	close(go1)
	wg.Wait()
	if len(odd) > 0 || len(winners) != 1 {
		return fmt.Sprintf("want one 200 and 409s, got %d winners and %v", len(winners), odd)
	}
	// The run's own state is what its history says.
	status, state := s.call("admin", "GET", "/v1/runs/"+runID, nil)
	if status != http.StatusOK {
		return fmt.Sprintf("read run: %d %v", status, state)
	}
	var step map[string]any
	for _, st := range state["steps"].([]any) {
		if st.(map[string]any)["id"] == started["open_tasks"].([]any)[0].(map[string]any)["step_id"] {
			step = st.(map[string]any)
		}
	}
	w := winners[0]
	if step["completed_by"] != w.user {
		return fmt.Sprintf("the run says %v completed it, the 200 went to %s", step["completed_by"], w.user)
	}
	row, err := s.main.DB.Task(context.Background(), task)
	if err != nil {
		return "read the tasks row: " + err.Error()
	}
	var rowData map[string]any
	_ = json.Unmarshal(row.Data, &rowData)
	status, got := s.call("admin", "GET", "/v1/tasks/"+task, nil)
	if status != http.StatusOK {
		return fmt.Sprintf("GET /v1/tasks/%s: %d", task, status)
	}
	for _, seen := range []struct {
		where              string
		by, outcome, state any
		data               any
	}{
		{"tasks row", row.CompletedBy, row.Outcome, row.Status, rowData},
		{"GET /v1/tasks/{id}", got["completed_by"], got["outcome"], got["status"], got["data"]},
	} {
		if seen.by != w.user || seen.outcome != step["outcome"] || seen.state != "completed" {
			return fmt.Sprintf("%s: %v/%v (%v), the run: %s/%v", seen.where, seen.by, seen.outcome, seen.state, w.user, step["outcome"])
		}
		if want, ok := w.body["data"]; ok && fmt.Sprint(seen.data) != fmt.Sprint(want) {
			return fmt.Sprintf("%s: data %v, the run's winner sent %v", seen.where, seen.data, want)
		}
	}
	// The inbox holds exactly the open tasks the run holds: none a losing write opened.
	var want, have []string
	for _, o := range state["open_tasks"].([]any) {
		want = append(want, o.(map[string]any)["id"].(string))
	}
	rows, err := s.main.DB.Pool().Query(context.Background(), `SELECT id FROM tasks WHERE run_id = $1 AND status = 'open' ORDER BY id`, runID)
	if err != nil {
		return "read open tasks: " + err.Error()
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		have = append(have, id)
	}
	slices.Sort(want)
	if !slices.Equal(want, have) {
		return fmt.Sprintf("open tasks: the run %v, the inbox %v", want, have)
	}
	return ""
}

// call sends a JSON request as user from any goroutine (no test assertions) and returns
// the status and the decoded body.
func (s *stack) call(user, method, path string, body any, headers ...string) (int, map[string]any) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, r)
	if err != nil {
		return 0, map[string]any{"error": err.Error()}
	}
	req.Header.Set("Authorization", "Bearer "+s.keys[user])
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, map[string]any{"error": err.Error()}
	}
	defer res.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}
