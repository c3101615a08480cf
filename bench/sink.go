package bench

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
)

// sink is the loopback integration http steps call: it answers every POST with a new
// ticket id, as a ticketing system would.
type sink struct {
	srv   *http.Server
	url   string
	port  int
	calls atomic.Int64
}

func startSink() (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the http sink: %w", err)
	}
	s := &sink{port: ln.Addr().(*net.TCPAddr).Port}
	s.url = fmt.Sprintf("http://127.0.0.1:%d/tickets", s.port)
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"id": fmt.Sprintf("T-%d", n)})
	})}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *sink) close() error { return s.srv.Close() }
