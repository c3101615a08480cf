package main

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"

	"github.com/handoffhq/handoff/outbox"
)

// validateSMTP checks the email settings and the public URL that task links use.
func (c Config) validateSMTP() error {
	if c.SMTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.SMTPAddr); err != nil {
			return fmt.Errorf("HANDOFF_SMTP_ADDR must be host:port, not %q", c.SMTPAddr)
		}
	}
	if c.SMTPFrom != "" {
		if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			return fmt.Errorf("HANDOFF_SMTP_FROM is not an email address: %q", c.SMTPFrom)
		}
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("HANDOFF_PUBLIC_URL must be an absolute http or https URL, not %q", c.PublicURL)
		}
	}
	return nil
}

// Outbox is the configuration of the worker's outbox dispatcher.
func (c Config) Outbox() outbox.Config {
	return outbox.Config{
		PublicURL: c.PublicURL,
		SMTP: outbox.SMTPConfig{Addr: c.SMTPAddr, From: c.SMTPFrom,
			Username: c.SMTPUsername, Password: c.SMTPPassword},
	}
}
