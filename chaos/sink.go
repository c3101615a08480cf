package chaos

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// sink is the integration http steps call, as an idempotent ticketing API would be: it
// counts every attempt per Idempotency-Key and performs the effect (a new ticket) only
// the first time it sees a key; later attempts get the same ticket. It can hold one
// request until told to go on, so a fault can strike while a step is in flight.
type sink struct {
	srv  *http.Server
	url  string
	port int

	mu       sync.Mutex
	attempts map[string]int    // Idempotency-Key → requests received
	tickets  map[string]string // Idempotency-Key → the one effect performed
	noKey    int               // requests without an Idempotency-Key
	arrived  map[string][]time.Time
	events   map[string][]byte // webhook-id → body of the subscription events received
	hold     bool              // hold the next request
	held     chan string       // receives the key of the request being held
	release  chan struct{}     // closed to let the held request go on
}

func startSink() (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the http sink: %w", err)
	}
	s := &sink{port: ln.Addr().(*net.TCPAddr).Port, attempts: map[string]int{}, tickets: map[string]string{},
		arrived: map[string][]time.Time{}, events: map[string][]byte{}}
	s.url = fmt.Sprintf("http://127.0.0.1:%d/tickets", s.port)
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/events" {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.events[r.Header.Get("webhook-id")] = body
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	release := s.arrive(key)
	if release != nil {
		<-release // the effect happens after the caller may have died
	}
	ticket := s.perform(key)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"id": ticket})
}

// arrive counts the attempt and, when a hold is armed, returns the channel to wait on.
func (s *sink) arrive(key string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key == "" {
		s.noKey++
	}
	s.attempts[key]++
	s.arrived[key] = append(s.arrived[key], time.Now())
	if !s.hold {
		return nil
	}
	s.hold = false
	s.held <- key
	return s.release
}

// perform does the effect once per key and returns its ticket.
func (s *sink) perform(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tickets[key]; ok {
		return t
	}
	t := fmt.Sprintf("T-%d", len(s.tickets)+1)
	if key != "" {
		s.tickets[key] = t
	}
	return t
}

// holdNext arms a hold: the next request waits until the returned release is called.
// held receives its Idempotency-Key when it arrives.
func (s *sink) holdNext() (held <-chan string, release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = true
	s.held = make(chan string, 1)
	s.release = make(chan struct{})
	var once sync.Once
	rel := s.release
	return s.held, func() { once.Do(func() { close(rel) }) }
}

// attemptsAfter counts the requests with key that arrived after t.
func (s *sink) attemptsAfter(key string, t time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, at := range s.arrived[key] {
		if at.After(t) {
			n++
		}
	}
	return n
}

// snapshot copies the counters for the oracle.
func (s *sink) snapshot() (attempts map[string]int, tickets map[string]string, noKey int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	attempts, tickets = make(map[string]int, len(s.attempts)), make(map[string]string, len(s.tickets))
	for k, v := range s.attempts {
		attempts[k] = v
	}
	for k, v := range s.tickets {
		tickets[k] = v
	}
	return attempts, tickets, s.noKey
}

// eventsURL is where the sink takes subscription events.
func (s *sink) eventsURL() string { return fmt.Sprintf("http://127.0.0.1:%d/events", s.port) }

// completions returns, per task id, who completed it in each task.completed event
// received (one entry per webhook-id).
func (s *sink) completions() map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]string{}
	for _, body := range s.events {
		var e struct {
			Type string
			Data struct{ Task map[string]any }
		}
		if json.Unmarshal(body, &e) != nil || e.Type != "task.completed" {
			continue
		}
		id, _ := e.Data.Task["id"].(string)
		by, _ := e.Data.Task["completed_by"].(string)
		out[id] = append(out[id], by)
	}
	return out
}

func (s *sink) close() error { return s.srv.Close() }
