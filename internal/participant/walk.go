package participant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/handoffhq/handoff/definitions"
)

// Driver walks runs of published definitions through the API.
type Driver struct {
	Client *Client
	Sink   *Sink
	// Starter starts every run: its requester.
	Starter string
	// Users is the directory: who is in which group, who has a manager.
	Users []User
	// Timeout bounds one walk; default 3 minutes.
	Timeout time.Duration

	seq      atomic.Int64
	mu       sync.Mutex
	programs map[string]*definitions.Program // "key@version" → program
}

// User is a person of the directory.
type User struct {
	ID      string   `json:"id"`
	Groups  []string `json:"groups"`
	Manager string   `json:"manager,omitempty"`
}

// Path is what a walk chooses: fixed inputs (over the generated ones), and the option
// taken at each named choice point (the first option at any other).
type Path struct {
	Inputs  map[string]any
	Choices map[string]string
}

// Point is a choice point a walk reached: its key, its options, and the one taken.
type Point struct {
	Key     string
	Options []string
	Taken   string
}

// Action is one thing the driver did to a run.
type Action struct {
	Run, Step, Task string
	Kind            string // one of the Act constants
	TaskKind        string // task, approval, fixit
	Actor           string
	Outcome         string
	Data            map[string]any
}

// Action kinds.
const (
	ActComplete = "complete" // a task completed, or one vote on an approval
	ActClaim    = "claim"
	ActExpedite = "expedite"
	ActEvent    = "event"
)

// Walk is one run driven to its end.
type Walk struct {
	Definition string
	Path       Path
	RunID      string
	// Runs are the run and the subprocess runs it started.
	Runs            []string
	Status, Outcome string
	Points          []Point
	Actions         []Action
}

// walk is a walk in progress.
type walk struct {
	d      *Driver
	ctx    context.Context
	rootID string
	tag    string
	path   Path
	fill   *filler

	mu        sync.Mutex
	progs     map[string]*definitions.Program // run id → program
	runs      []string
	points    []Point
	taken     map[string]string // point key → option taken
	recovered map[string]bool   // "<run>/<step>": a failing integration answers again
	actions   []Action
	choiceOf  map[string]string   // task id → outcome (an approval voted on by several)
	voted     map[string][]string // task id → who voted
	picks     map[string]map[string]int
}

// Walk starts a run of the definition and drives it to its end along the path.
func (d *Driver) Walk(ctx context.Context, definition string, path Path) (*Walk, error) {
	timeout := d.Timeout
	if timeout == 0 {
		timeout = 3 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	def, err := d.Client.Expect(ctx, http.StatusOK, d.Starter, "GET", "/v1/definitions/"+definition, nil)
	if err != nil {
		return nil, err
	}
	prog, err := d.programOf(ctx, definition, int(def["version"].(float64)))
	if err != nil {
		return nil, err
	}
	n := d.seq.Add(1)
	w := &walk{d: d, ctx: ctx, tag: fmt.Sprint(n), path: path,
		fill:  &filler{users: d.userChoices(), date: time.Now().UTC().AddDate(0, 0, 45).Truncate(24 * time.Hour)},
		progs: map[string]*definitions.Program{}, taken: map[string]string{}, recovered: map[string]bool{},
		choiceOf: map[string]string{}, voted: map[string][]string{}, picks: map[string]map[string]int{}}
	businessKey := "walk-" + w.tag
	w.rootID = prog.Key + "-" + businessKey
	w.progs[w.rootID] = prog
	w.runs = []string{w.rootID}
	d.Sink.register(w)
	defer d.Sink.unregister(w)

	var fields []definitions.Field
	if err := decode(def["inputs"], &fields); err != nil {
		return nil, fmt.Errorf("decode the start form of %s: %w", definition, err)
	}
	started, err := d.Client.Expect(ctx, http.StatusCreated, d.Starter, "POST", "/v1/runs", map[string]any{
		"definition": definition, "inputs": w.inputs(prog, fields), "business_key": businessKey})
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", definition, err)
	}
	if started["id"] != w.rootID {
		return nil, fmt.Errorf("start %s: the run is %v, expected %s", definition, started["id"], w.rootID)
	}
	if err := w.drive(); err != nil {
		return w.result(nil), fmt.Errorf("walk %s (%s): %w", w.rootID, describe(w.result(nil)), err)
	}
	root, err := w.state(w.rootID)
	if err != nil {
		return nil, err
	}
	return w.result(root), nil
}

func (w *walk) result(root *runState) *Walk {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := &Walk{Definition: w.progs[w.rootID].Key, Path: w.path, RunID: w.rootID, Runs: slices.Clone(w.runs),
		Points: slices.Clone(w.points), Actions: slices.Clone(w.actions)}
	if root != nil {
		out.Status, out.Outcome = root.Status, root.Outcome
	}
	return out
}

// inputs fills the start form: the path's inputs, a choice among the options of each
// select and boolean input, and valid values for the others.
func (w *walk) inputs(prog *definitions.Program, fields []definitions.Field) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		if v, ok := w.path.Inputs[f.ID]; ok {
			out[f.ID] = v
			continue
		}
		c := w.fill.candidates(f)
		if len(c) == 0 {
			continue
		}
		if f.Type == definitions.TypeSelect || f.Type == definitions.TypeBoolean {
			var opts []string
			for _, v := range c {
				if s := fmt.Sprint(v); !slices.Contains(opts, s) {
					opts = append(opts, s)
				}
			}
			taken := w.choose(prog.Key+":inputs."+f.ID, opts)
			for _, v := range c {
				if fmt.Sprint(v) == taken {
					out[f.ID] = v
					break
				}
			}
			continue
		}
		out[f.ID] = c[0]
	}
	return out
}

// choose takes the option the path names at a choice point (the first otherwise), once
// per point, and records it.
func (w *walk) choose(key string, options []string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if t, ok := w.taken[key]; ok {
		return t
	}
	t := options[0]
	if c, ok := w.path.Choices[key]; ok && slices.Contains(options, c) {
		t = c
	}
	w.taken[key] = t
	w.points = append(w.points, Point{Key: key, Options: slices.Clone(options), Taken: t})
	return t
}

// runState is a run as GET /v1/runs/{id} shows it.
type runState struct {
	ID         string     `json:"id"`
	Definition string     `json:"definition"`
	Status     string     `json:"status"`
	Outcome    string     `json:"outcome"`
	Error      string     `json:"error"`
	Steps      []stepView `json:"steps"`
	OpenTasks  []taskView `json:"open_tasks"`
}

type stepView struct {
	ID     string         `json:"id"`
	Kind   string         `json:"kind"`
	Status string         `json:"status"`
	Round  int            `json:"round"`
	Fixes  int            `json:"fixes"`
	Data   map[string]any `json:"data"`
}

func (r *runState) step(id string) stepView {
	for _, s := range r.Steps {
		if s.ID == id {
			return s
		}
	}
	return stepView{}
}

// taskView is a task as GET /v1/tasks/{id} and a run's open tasks show it.
type taskView struct {
	ID              string              `json:"id"`
	RunID           string              `json:"run_id"`
	StepID          string              `json:"step_id"`
	Kind            string              `json:"kind"`
	Status          string              `json:"status"`
	Assignees       []string            `json:"assignees"`
	CandidateGroups []string            `json:"candidate_groups"`
	ClaimedBy       string              `json:"claimed_by"`
	Form            []definitions.Field `json:"form"`
	Outcomes        []outcomeView       `json:"outcomes"`
}

// outcomeView is one of a task's outcomes: a value with a label, or just a value.
type outcomeView struct{ Value string }

func (o *outcomeView) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &o.Value)
	}
	var v struct {
		Value string `json:"value"`
	}
	err := json.Unmarshal(b, &v)
	o.Value = v.Value
	return err
}

func (w *walk) state(runID string) (*runState, error) {
	res, err := w.d.Client.Do(w.ctx, w.d.Client.Admin, "GET", "/v1/runs/"+runID, nil)
	if err != nil {
		return nil, err
	}
	if res.Status == http.StatusNotFound {
		return nil, nil // a subprocess not started yet
	}
	if res.Status != http.StatusOK {
		return nil, &Error{Method: "GET", Path: "/v1/runs/" + runID, User: w.d.Client.Admin, Response: res}
	}
	var st runState
	if err := decode(res.Body, &st); err != nil {
		return nil, fmt.Errorf("decode run %s: %w", runID, err)
	}
	return &st, nil
}

// drive works the run and its subprocesses until the run has ended: an open task, then
// a wait, whatever comes first in the order of runs and steps; otherwise the run is busy
// (a call in flight, a subprocess starting) and is asked again shortly.
func (w *walk) drive() error {
	idle := time.Now()
	for {
		if err := w.ctx.Err(); err != nil {
			return fmt.Errorf("the run did not end in time: %w", err)
		}
		states, err := w.states()
		if err != nil {
			return err
		}
		root := states[0]
		if root.Status != "running" && !anyRunning(states[1:]) {
			return nil
		}
		acted, err := w.act(states)
		if err != nil {
			return err
		}
		if acted {
			idle = time.Now()
			continue
		}
		if time.Since(idle) > time.Minute {
			b, _ := json.Marshal(states)
			return fmt.Errorf("nothing to do for a minute, yet the run has not ended: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func anyRunning(states []*runState) bool {
	return slices.ContainsFunc(states, func(s *runState) bool { return s.Status == "running" })
}

// states reads the run and every subprocess run it has started, in that order.
func (w *walk) states() ([]*runState, error) {
	var out []*runState
	queue := []string{w.rootID}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		st, err := w.state(id)
		if err != nil {
			return nil, err
		}
		if st == nil {
			continue
		}
		out = append(out, st)
		for _, s := range st.Steps {
			child, _ := s.Data["run_id"].(string)
			if s.Kind != string(definitions.KindSubprocess) || child == "" {
				continue
			}
			queue = append(queue, child)
			w.mu.Lock()
			if !slices.Contains(w.runs, child) {
				w.runs = append(w.runs, child)
			}
			w.mu.Unlock()
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("run %s is gone", w.rootID)
	}
	return out, nil
}

// act does the first thing a run waits for: works an open task, or ends a wait.
func (w *walk) act(states []*runState) (bool, error) {
	for _, st := range states {
		tasks := slices.Clone(st.OpenTasks)
		sort.Slice(tasks, func(i, j int) bool { return tasks[i].ID < tasks[j].ID })
		for _, t := range tasks {
			return true, w.work(st, t)
		}
	}
	for _, st := range states {
		for _, s := range st.Steps {
			if s.Kind == string(definitions.KindWait) && s.Status == "active" {
				return true, w.endWait(st, s)
			}
		}
	}
	return false, nil
}

// programOf is the program a run executes: the walk's, or a subprocess's
// (<parent>.<step>…), loaded when first needed.
func (w *walk) programOf(runID string) (*definitions.Program, error) {
	w.mu.Lock()
	p, ok := w.progs[runID]
	var parents []string
	for id := range w.progs {
		parents = append(parents, id)
	}
	w.mu.Unlock()
	if ok {
		return p, nil
	}
	sort.Slice(parents, func(i, j int) bool { return len(parents[i]) > len(parents[j]) })
	for _, parent := range parents {
		if !strings.HasPrefix(runID, parent+".") {
			continue
		}
		w.mu.Lock()
		pp := w.progs[parent]
		w.mu.Unlock()
		stepID, _, _ := strings.Cut(strings.TrimPrefix(runID, parent+"."), ".")
		s := pp.Step(stepID)
		if s == nil || s.Subprocess == nil {
			continue
		}
		cp, err := w.d.programOf(w.ctx, s.Subprocess.Definition, s.Subprocess.Version)
		if err != nil {
			return nil, err
		}
		w.mu.Lock()
		w.progs[runID] = cp
		w.mu.Unlock()
		return cp, nil
	}
	return nil, fmt.Errorf("run %s is not part of walk %s", runID, w.rootID)
}

// programOf loads and compiles a published definition version (0: the latest).
func (d *Driver) programOf(ctx context.Context, key string, version int) (*definitions.Program, error) {
	cacheKey := fmt.Sprintf("%s@%d", key, version)
	d.mu.Lock()
	p, ok := d.programs[cacheKey]
	d.mu.Unlock()
	if ok {
		return p, nil
	}
	path := "/v1/definitions/" + key
	if version > 0 {
		path += fmt.Sprintf("/versions/%d", version)
	}
	def, err := d.Client.Expect(ctx, http.StatusOK, d.Starter, "GET", path, nil)
	if err != nil {
		return nil, err
	}
	src, _ := def["source"].(string)
	if p, err = definitions.Compile([]byte(src)); err != nil {
		return nil, fmt.Errorf("compile %s: %w", cacheKey, err)
	}
	d.mu.Lock()
	if d.programs == nil {
		d.programs = map[string]*definitions.Program{}
	}
	d.programs[cacheKey] = p
	d.mu.Unlock()
	return p, nil
}

// userChoices are the users a user field is given, those with a manager first.
func (d *Driver) userChoices() []string {
	var with, without []string
	for _, u := range d.Users {
		switch {
		case u.ID == d.Starter:
		case u.Manager != "":
			with = append(with, u.ID)
		default:
			without = append(without, u.ID)
		}
	}
	return append(with, without...)
}

func (w *walk) record(a Action) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.actions = append(w.actions, a)
}

// integration decides how the sink answers a call of a step: refused, when the walk
// chose that this integration fails (until a fix-it's retry or edit), or a body with
// what the step saves.
func (w *walk) integration(runID, stepID string, round int) (map[string]any, bool) {
	prog, err := w.programOf(runID)
	if err != nil {
		return map[string]any{}, true
	}
	step := prog.Step(stepID)
	if step == nil {
		return map[string]any{}, true
	}
	w.mu.Lock()
	recovered := w.recovered[runID+"/"+stepID]
	w.mu.Unlock()
	if !recovered && w.choose(fmt.Sprintf("%s:%s.call#%d", prog.Key, stepID, round), []string{"answers", "fails"}) == "fails" {
		return nil, false
	}
	return answer(step, w.tag), true
}

var errNoActor = errors.New("nobody may work this task")
