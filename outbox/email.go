package outbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// SMTPConfig says where and how emails are sent.
type SMTPConfig struct {
	// Addr is the SMTP server, host:port. Empty disables email.
	Addr string
	// From is the sender address. Default "handoff@localhost".
	From string
	// Username and Password authenticate (PLAIN, only over TLS or to localhost); empty: none.
	Username, Password string
	// Timeout bounds one delivery, connection included. Default 30 s.
	Timeout time.Duration
}

func (c SMTPConfig) withDefaults() SMTPConfig {
	if c.From == "" {
		c.From = "handoff@localhost"
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	return c
}

// Message is one plain-text email.
type Message struct {
	// ID is the Message-ID's local part; the same on every attempt, so receivers can
	// drop a duplicate.
	ID      string
	To      string
	Subject string
	Body    string
}

// Mailer sends email through one SMTP server, upgrading to TLS when the server offers
// STARTTLS.
type Mailer struct{ cfg SMTPConfig }

// NewMailer returns a Mailer; nil when cfg.Addr is empty (email disabled).
func NewMailer(cfg SMTPConfig) *Mailer {
	if cfg.Addr == "" {
		return nil
	}
	return &Mailer{cfg: cfg.withDefaults()}
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent reports whether a delivery error cannot be fixed by retrying (a rejected
// address, a deleted subscription).
func Permanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Send delivers msg. A 5xx answer from the server is permanent (see Permanent).
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	to, err := mail.ParseAddress(msg.To)
	if err != nil {
		return permanentError{fmt.Errorf("recipient %q: %w", msg.To, err)}
	}
	from, err := mail.ParseAddress(m.cfg.From)
	if err != nil {
		return permanentError{fmt.Errorf("sender %q (HANDOFF_SMTP_FROM): %w", m.cfg.From, err)}
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	err = m.send(ctx, from.Address, to.Address, compose(from, to, msg))
	var tpErr *textproto.Error
	if errors.As(err, &tpErr) && tpErr.Code >= 500 {
		return permanentError{err}
	}
	return err
}

func (m *Mailer) send(ctx context.Context, from, to string, data []byte) error {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", m.cfg.Addr)
	if err != nil {
		return fmt.Errorf("connect to smtp %s: %w", m.cfg.Addr, err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	host, _, _ := net.SplitHostPort(m.cfg.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("greet smtp %s: %w", m.cfg.Addr, err)
	}
	defer func() { _ = c.Close() }() // after Quit the connection is closed already: Close fails
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
	}
	if m.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, host)); err != nil {
			return fmt.Errorf("authenticate as %s: %w", m.cfg.Username, err)
		}
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("smtp MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("smtp RCPT TO %s: %w", to, err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end message: %w", err)
	}
	return c.Quit()
}

// compose writes a plain-text UTF-8 message. Header values are encoded (RFC 2047), so
// no line break in a subject can start a header of its own.
func compose(from, to *mail.Address, msg Message) []byte {
	var b bytes.Buffer
	domain := "handoff"
	if _, d, ok := strings.Cut(from.Address, "@"); ok {
		domain = d
	}
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(msg.Subject)))
	header("Date", time.Now().Format(time.RFC1123Z))
	if msg.ID != "" {
		header("Message-ID", "<"+msg.ID+"@"+domain+">")
	}
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(msg.Body, "\r\n", "\n"), "\n", "\r\n")))
	_ = qp.Close()
	return b.Bytes()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
