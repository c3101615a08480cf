// Package smtptest is a minimal SMTP server on loopback for tests: it accepts every
// message (or refuses some on request) and records what it received.
package smtptest

import (
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	Data string // headers and body as sent
}

// Header returns a header of the message, decoded ("" when absent).
func (m Message) Header(name string) string {
	msg, err := mail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		return ""
	}
	v := msg.Header.Get(name)
	if d, err := new(mime.WordDecoder).DecodeHeader(v); err == nil {
		return d
	}
	return v
}

// Text returns the body, quoted-printable decoded.
func (m Message) Text() string {
	msg, err := mail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		return ""
	}
	r := msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, _ := io.ReadAll(r)
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

// Server records messages. Its zero value is not usable: call Start.
type Server struct {
	Addr string // host:port it listens on

	ln     net.Listener
	mu     sync.Mutex
	msgs   []Message
	refuse []int // SMTP codes to answer the next RCPT commands with
}

// Start listens on 127.0.0.1 and stops when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.serve(conn) })
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return s
}

// Refuse makes the server answer the next RCPT commands with these codes, one each
// (e.g. 451 for a transient failure, 550 for a permanent one).
func (s *Server) Refuse(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = append(s.refuse, codes...)
}

// Messages returns the messages received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitFor waits until at least n messages have arrived and returns them; it fails the
// test after timeout.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if msgs := s.Messages(); len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("smtptest: %d of %d messages after %s", len(s.Messages()), n, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *Server) serve(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	tp := textproto.NewConn(conn)
	reply := func(code int, text string) { _ = tp.PrintfLine("%d %s", code, text) }
	reply(220, "smtptest ready")
	var cur Message
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			reply(250, "smtptest")
		case "MAIL":
			cur = Message{From: addr(arg)}
			reply(250, "ok")
		case "RCPT":
			if code := s.nextRefusal(); code != 0 {
				reply(code, "refused by the test")
				continue
			}
			cur.To = append(cur.To, addr(arg))
			reply(250, "ok")
		case "DATA":
			reply(354, "go ahead")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			cur.Data = string(data)
			s.mu.Lock()
			s.msgs = append(s.msgs, cur)
			s.mu.Unlock()
			reply(250, "queued")
		case "RSET", "NOOP":
			reply(250, "ok")
		case "QUIT":
			reply(221, "bye")
			return
		default:
			reply(502, fmt.Sprintf("%s not implemented", verb))
		}
	}
}

func (s *Server) nextRefusal() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.refuse) == 0 {
		return 0
	}
	code := s.refuse[0]
	s.refuse = s.refuse[1:]
	return code
}

// addr takes the address out of "FROM:<a@b>" or "TO:<a@b>".
func addr(arg string) string {
	_, a, _ := strings.Cut(arg, ":")
	a = strings.TrimSpace(a)
	if i := strings.IndexByte(a, '>'); i >= 0 {
		a = a[:i+1]
	}
	return strings.Trim(a, "<>")
}
