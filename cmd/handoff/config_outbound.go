package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/handoffhq/handoff/internal/safehttp"
	"github.com/handoffhq/handoff/internal/secrets"
)

// byteCount parses a positive number of bytes; anything else is -1, which Validate reports.
func byteCount(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return -1
	}
	return n
}

// validateOutbound checks the settings of outbound HTTP and secrets.
func (c Config) validateOutbound() error {
	if c.HTTPMaxBody < 0 {
		return errors.New("HANDOFF_HTTP_MAX_BODY must be a positive whole number of bytes")
	}
	if _, err := safehttp.ParseAllow(c.HTTPAllow); err != nil {
		return fmt.Errorf("HANDOFF_HTTP_ALLOW: %w (%s)", err, safehttp.AllowRule)
	}
	if _, err := c.SecretsBox(); err != nil {
		return err
	}
	return nil
}

// SafeHTTP is the configuration of the SSRF-guarded client of http steps.
func (c Config) SafeHTTP() (safehttp.Config, error) {
	allow, err := safehttp.ParseAllow(c.HTTPAllow)
	if err != nil {
		return safehttp.Config{}, fmt.Errorf("HANDOFF_HTTP_ALLOW: %w (%s)", err, safehttp.AllowRule)
	}
	return safehttp.Config{Allow: allow, MaxBodyBytes: c.HTTPMaxBody}.WithDefaults(), nil
}

// SecretsBox seals and opens stored secrets; nil (and no error) when no key is set.
func (c Config) SecretsBox() (*secrets.Box, error) {
	if c.SecretsKey == "" {
		return nil, nil
	}
	key, err := secrets.ParseKey(c.SecretsKey)
	if err != nil {
		return nil, fmt.Errorf("HANDOFF_SECRETS_KEY: %w (generate one with `openssl rand -base64 32`)", err)
	}
	return secrets.NewBox(key)
}
