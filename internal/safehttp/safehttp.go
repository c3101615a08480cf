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
	"net/url"
	"strconv"
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
	// Allow lists the destinations reachable despite the guard, each exactly as it says
	// (see Destination and ParseAllow). Default: none.
	Allow []Destination
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

// guard checks each resolved address against the allowlist, then the ssrf deny lists.
type guard struct {
	allow  []Destination
	public *ssrf.Guardian // public addresses, on 80, 443 and the ports of ":port" entries
	dialed func(network, address string)
}

func newGuard(cfg Config) *guard {
	ports := []uint16{80, 443}
	var allow []Destination
	for _, d := range cfg.Allow {
		if d.Prefix.IsValid() {
			d.Prefix = unmapPrefix(d.Prefix)
			allow = append(allow, d)
		} else if d.Port != 0 {
			ports = append(ports, d.Port)
		}
	}
	return &guard{allow: allow, public: ssrf.New(ssrf.WithPorts(ports...)), dialed: cfg.dialed}
}

// control is the net.Dialer's Control hook: it runs after resolution, before connect.
func (g *guard) control(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return &BlockedError{Reason: "network " + network}
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &BlockedError{Reason: fmt.Sprintf("address %q: %v", address, err)}
	}
	if err := g.check(ap); err != nil {
		return err
	}
	if g.dialed != nil {
		g.dialed(network, address)
	}
	return nil
}

// check lets ap through when an allowlist entry opens it or it is a public address on
// an allowed port. An IPv4-mapped IPv6 address is judged as the IPv4 address it is.
func (g *guard) check(ap netip.AddrPort) error {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	for _, d := range g.allow {
		if d.opens(ap) {
			return nil
		}
	}
	if err := g.public.SafeAddrPort(ap); err != nil {
		return &BlockedError{Addr: ap, Reason: fmt.Sprintf("%s: %v", ap, err)}
	}
	return nil
}

// BlockedError is a destination the guard refused; errors.Is(err, ErrBlocked) holds.
// Nothing was sent.
type BlockedError struct {
	// Addr is the address refused; invalid when the host or network itself was refused.
	Addr   netip.AddrPort
	Reason string
}

func (e *BlockedError) Error() string        { return ErrBlocked.Error() + ": " + e.Reason }
func (e *BlockedError) Is(target error) bool { return target == ErrBlocked }

// Hint says how an operator lets a refused destination through, in the allowlist's own
// terms (the entry to add); "" when err is not a refusal of the guard.
func Hint(err error) string {
	var b *BlockedError
	if !errors.As(err, &b) {
		return ""
	}
	if !b.Addr.IsValid() {
		return "write the host as a canonical IP address or a name: numeric forms such as 2130706433 are never looked up"
	}
	d := Destination{Prefix: netip.PrefixFrom(b.Addr.Addr(), b.Addr.Addr().BitLen())}
	if !isDefaultPort(b.Addr.Port()) {
		d.Port = b.Addr.Port()
	}
	return fmt.Sprintf("an operator can allow it by adding %s to HANDOFF_HTTP_ALLOW (%s)", d, AllowRule)
}

// CheckURL judges a URL's destination by the guard's rules before anything is sent: a
// numeric host in disguise is refused, and so is a host that is, or resolves to, an
// address the guard refuses. A name that does not resolve now is not refused: every
// dial checks again.
func (c Config) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return fmt.Errorf("bad port %q", port)
	}
	host := u.Hostname()
	if err := checkHost(net.JoinHostPort(host, port)); err != nil {
		return err
	}
	addrs := []netip.Addr{}
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = append(addrs, a)
	} else {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		addrs, _ = net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	}
	g := newGuard(c)
	for _, a := range addrs {
		if err := g.check(netip.AddrPortFrom(a, uint16(p))); err != nil {
			return err
		}
	}
	return nil
}

// checkHost refuses host names that are numbers in disguise (2130706433, 0x7f000001,
// 0177.0.0.1, 127.1): resolvers disagree on what they mean, so they are never looked up.
func checkHost(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return &BlockedError{Reason: fmt.Sprintf("address %q: %v", address, err)}
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if host == "" || strings.Trim(strings.ToLower(host), "0123456789abcdefx.") == "" && startsNumeric(host) {
		return &BlockedError{Reason: fmt.Sprintf("numeric host %q is not a canonical IP address", host)}
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
