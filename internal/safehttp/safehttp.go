// Package safehttp provides the HTTP client Handoff uses for every outbound call to a
// URL that a definition or a subscriber chose: http steps, notify webhooks and
// subscriptions. The client is SSRF-guarded at dial time: after DNS resolution and
// before connecting, every address is checked, so loopback, private, link-local, metadata
// and other special-purpose addresses (IPv4, IPv6 and IPv4-mapped IPv6) are refused unless
// the configuration allowlists them. It never uses a proxy, follows a bounded number of
// redirects (each one dialled through the same guard), and has timeouts throughout.
package safehttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"

	"code.dny.dev/ssrf"
)

// Defaults applied to zero Config fields.
const (
	DefaultMaxBodyBytes int64 = 1 << 20 // 1 MiB
	DefaultMaxRedirects       = 3
	DefaultTimeout            = 30 * time.Second
)

// ErrBlocked is returned (wrapped) when the guard refuses a destination. Nothing was sent.
var ErrBlocked = errors.New("destination blocked by the SSRF guard")

// ErrRedirect is returned (wrapped) when a redirect is refused: one too many, or to a
// scheme other than http and https.
var ErrRedirect = errors.New("redirect refused")

// Config configures a guarded client. The zero value is the safe default.
type Config struct {
	// Allow lists address prefixes reachable despite the guard (e.g. 10.1.2.0/24 or
	// 127.0.0.1/32). Default: none.
	Allow []netip.Prefix
	// AllowPorts lists destination ports allowed besides 80 and 443. Default: none.
	AllowPorts []uint16
	// MaxBodyBytes caps a response body read with ReadBody. Default: 1 MiB.
	MaxBodyBytes int64
	// MaxRedirects is how many redirects a request follows; negative follows none.
	// Default (0): 3.
	MaxRedirects int
	// Timeout bounds a whole request, redirects and body included. Default: 30 s.
	Timeout time.Duration

	// dialed, when set (tests only), is called for every address the guard let through,
	// just before connecting.
	dialed func(network, address string)
}

// WithDefaults returns c with its zero fields set to the defaults.
func (c Config) WithDefaults() Config {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxRedirects == 0 {
		c.MaxRedirects = DefaultMaxRedirects
	}
	if c.MaxRedirects < 0 {
		c.MaxRedirects = 0
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// NewClient returns a guarded client. Reuse it: it pools connections.
func NewClient(cfg Config) *http.Client {
	cfg = cfg.WithDefaults()
	g := newGuard(cfg)
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: g.control}
	transport := &http.Transport{
		Proxy: nil, // never: a proxy would dial on our behalf, past the guard
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			if err := checkHost(address); err != nil {
				return nil, err
			}
			return dialer.DialContext(ctx, network, address)
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
		ExpectContinueTimeout: time.Second,
	}
	maxRedirects := cfg.MaxRedirects
	return &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("%w: stopped after %d redirects", ErrRedirect, maxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("%w: unsupported scheme %q", ErrRedirect, req.URL.Scheme)
			}
			return nil
		},
	}
}

// guard checks each resolved address against the ssrf deny lists and the allowlist.
type guard struct {
	g      *ssrf.Guardian
	dialed func(network, address string)
}

func newGuard(cfg Config) *guard {
	var v4, v6 []netip.Prefix
	for _, p := range cfg.Allow {
		p = unmapPrefix(p)
		if p.Addr().Is4() {
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	ports := slices.Concat([]uint16{80, 443}, cfg.AllowPorts)
	return &guard{
		g: ssrf.New(ssrf.WithPorts(ports...), ssrf.WithAllowedV4Prefixes(v4...),
			ssrf.WithAllowedV6Prefixes(v6...)),
		dialed: cfg.dialed,
	}
}

// control is the net.Dialer's Control hook: it runs after resolution, before connect.
func (g *guard) control(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return fmt.Errorf("%w: network %s", ErrBlocked, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: address %q: %w", ErrBlocked, address, err)
	}
	// An IPv4-mapped IPv6 address is judged as the IPv4 address it is.
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if err := g.g.SafeAddrPort(ap); err != nil {
		return fmt.Errorf("%w: %w", ErrBlocked, err)
	}
	if g.dialed != nil {
		g.dialed(network, address)
	}
	return nil
}

// checkHost refuses host names that are numbers in disguise (2130706433, 0x7f000001,
// 0177.0.0.1, 127.1): resolvers disagree on what they mean, so they are never looked up.
func checkHost(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: address %q: %w", ErrBlocked, address, err)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if host == "" || strings.Trim(strings.ToLower(host), "0123456789abcdefx.") == "" && startsNumeric(host) {
		return fmt.Errorf("%w: numeric host %q is not a canonical IP address", ErrBlocked, host)
	}
	return nil
}

// startsNumeric reports whether every dot-separated label of host starts with a digit,
// as all forms of a numeric address do, while real names like "cafe.de" do not.
func startsNumeric(host string) bool {
	for label := range strings.SplitSeq(strings.TrimSuffix(host, "."), ".") {
		if label == "" || label[0] < '0' || label[0] > '9' {
			return false
		}
	}
	return true
}

func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}
