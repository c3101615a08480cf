package participant

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/handoffhq/handoff/definitions"
)

// Sink plays the systems that walked runs integrate with: every http step and webhook
// notification (through Transport, the worker's outbound transport in tests) and the
// subscription receiving Handoff's outbound events (EventsPath, on a loopback server).
type Sink struct {
	mu     sync.Mutex
	walks  map[string]*walk      // root run id → the walk driving it
	events map[string][]Delivery // run id → outbound events delivered for it
}

// EventsPath is where a subscription delivers to the Sink.
const EventsPath = "/handoff-events"

// Delivery is one outbound event the subscription received.
type Delivery struct {
	ID   string
	Type string
	Data map[string]any
}

// NewSink returns a Sink that knows no walk yet.
func NewSink() *Sink {
	return &Sink{walks: map[string]*walk{}, events: map[string][]Delivery{}}
}

// Transport serves every outbound request in process, whatever its host: the
// integrations of the shipped definitions (https://erp.example.com, …) need no network.
func (s *Sink) Transport() http.RoundTripper { return sinkTransport{s} }

type sinkTransport struct{ s *Sink }

func (t sinkTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.s.ServeHTTP(rec, req)
	res := rec.Result()
	res.Request = req
	return res, nil
}

// ServeHTTP answers an integration call, or records an outbound event.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if r.URL.Path == EventsPath {
		s.record(body)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	runID, stepID, round := identify(r.Header, body)
	wk := s.walkOf(runID)
	if wk == nil {
		w.WriteHeader(http.StatusOK) // a slack message, or a call of no walk: accepted
		return
	}
	answer, ok := wk.integration(runID, stepID, round)
	if !ok {
		http.Error(w, `{"error": "the participant driver's sink refuses this call"}`, http.StatusUnprocessableEntity)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.Method == http.MethodPost {
		w.WriteHeader(http.StatusCreated)
	}
	_ = json.NewEncoder(w).Encode(answer)
}

// identify names the run, step and round of a call: from an http step's
// Idempotency-Key (<run>/<step>/<round>), or a webhook notification's body.
func identify(h http.Header, body []byte) (runID, stepID string, round int) {
	if parts := strings.Split(h.Get("Idempotency-Key"), "/"); len(parts) == 3 {
		n, _ := strconv.Atoi(parts[2])
		return parts[0], parts[1], n
	}
	var msg struct {
		Data struct {
			RunID  string `json:"run_id"`
			StepID string `json:"step_id"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &msg) == nil {
		return msg.Data.RunID, msg.Data.StepID, 1
	}
	return "", "", 0
}

func (s *Sink) record(body []byte) {
	var ev struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	if json.Unmarshal(body, &ev) != nil {
		return
	}
	run, _ := ev.Data["run"].(map[string]any)
	id, _ := run["id"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events[id] = append(s.events[id], Delivery{Type: ev.Type, Data: ev.Data})
}

// Events returns the outbound events delivered for a run so far.
func (s *Sink) Events(runID string) []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events[runID])
}

func (s *Sink) register(w *walk) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.walks[w.rootID] = w
}

func (s *Sink) unregister(w *walk) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.walks, w.rootID)
}

// walkOf finds the walk of a run: its root, or a subprocess (<root>.<step>…).
func (s *Sink) walkOf(runID string) *walk {
	s.mu.Lock()
	defer s.mu.Unlock()
	for root, w := range s.walks {
		if runID == root || strings.HasPrefix(runID, root+".") {
			return w
		}
	}
	return nil
}

var bodyPath = regexp.MustCompile(`response\.body((?:\.[A-Za-z_][A-Za-z0-9_]*)+)`)

// answer is a JSON body holding everything an http step's save expressions read from
// response.body, each value a text naming it (po_number: "po_number-7").
func answer(step *definitions.Step, tag string) map[string]any {
	out := map[string]any{}
	if step.HTTP == nil {
		return out
	}
	for _, a := range step.HTTP.Save {
		for _, m := range bodyPath.FindAllStringSubmatch(a.Expr, -1) {
			path := strings.Split(strings.TrimPrefix(m[1], "."), ".")
			node := out
			for _, p := range path[:len(path)-1] {
				next, ok := node[p].(map[string]any)
				if !ok {
					next = map[string]any{}
					node[p] = next
				}
				node = next
			}
			last := path[len(path)-1]
			node[last] = last + "-" + tag
		}
	}
	return out
}
