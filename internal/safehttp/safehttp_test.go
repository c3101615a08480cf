package safehttp

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// sink is a loopback server counting the requests that reach it.
type sink struct {
	*httptest.Server
	hits atomic.Int64
	port uint16
}

// newSink listens on addr ("127.0.0.1:0", "127.0.0.2:0", "[::1]:0"); nil when the address
// is unavailable here (no IPv6).
func newSink(t *testing.T, addr string, h http.HandlerFunc) *sink {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil
	}
	s := &sink{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if h != nil {
			h(w, r)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	s.Listener = l
	s.Start()
	t.Cleanup(s.Close)
	s.port = uint16(l.Addr().(*net.TCPAddr).Port)
	return s
}

func (s *sink) Hits() int64 {
	if s == nil {
		return 0
	}
	return s.hits.Load()
}

// dialLog records the addresses the guard let the dialer connect to.
type dialLog struct {
	mu    sync.Mutex
	addrs []string
}

func (d *dialLog) record(_, address string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addrs = append(d.addrs, address)
}

func (d *dialLog) get() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	if err == nil {
		_, _ = ReadBody(resp, 0)
	}
	return resp, err
}

func TestGuardBlocksAtDial(t *testing.T) {
	t.Parallel()
	target := newSink(t, "127.0.0.1:0", nil)
	other := newSink(t, "127.0.0.2:0", nil)
	require.NotNil(t, target)
	v6 := newSink(t, "[::1]:0", nil)
	p := strconv.Itoa(int(target.port))
	v6port := p
	if v6 != nil {
		v6port = strconv.Itoa(int(v6.port))
	}
	loopback32 := netip.MustParsePrefix("127.0.0.1/32")
	loopback := Destination{Prefix: loopback32}
	on := func(port uint16) Destination { return Destination{Prefix: loopback32, Port: port} }
	anyAddr := func(ports ...uint16) []Destination {
		var out []Destination
		for _, p := range ports {
			out = append(out, Destination{Port: p})
		}
		return out
	}
	// Redirectors are allowlisted themselves; their targets are not.
	redirector := func(to string) *sink {
		return newSink(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, to, http.StatusFound)
		})
	}
	toOther := redirector("http://127.0.0.2:" + strconv.Itoa(int(other.port)) + "/")
	toPrivate := redirector("http://10.0.0.1/")
	toMetadata := redirector("http://169.254.169.254/latest/meta-data/")

	tests := []struct {
		name  string
		url   string
		allow []Destination
	}{
		{"loopback", "http://127.0.0.1:" + p + "/", anyAddr(target.port)},
		{"loopback v6", "http://[::1]:" + v6port + "/", anyAddr(target.port, uint16FromString(v6port))},
		{"unspecified", "http://0.0.0.0:" + p + "/", anyAddr(target.port)},
		{"v4-mapped loopback", "http://[::ffff:127.0.0.1]:" + p + "/", anyAddr(target.port)},
		{"decimal IP", "http://2130706433:" + p + "/", []Destination{on(target.port)}},
		{"hex IP", "http://0x7f000001:" + p + "/", []Destination{on(target.port)}},
		{"short IP", "http://127.1:" + p + "/", []Destination{on(target.port)}},
		{"name resolving to loopback", "http://localhost:" + p + "/", anyAddr(target.port)},
		{"private 10/8", "http://10.0.0.1/", nil},
		{"private 172.16/12", "http://172.16.0.1/", nil},
		{"private 192.168/16", "http://192.168.1.1/", nil},
		{"metadata", "http://169.254.169.254/latest/meta-data/", nil},
		{"link-local v6", "http://[fe80::1]/", nil},
		{"unique local v6", "http://[fd00::1]/", nil},
		{"mapped private", "http://[::ffff:10.0.0.1]/", nil},
		{"disallowed port", "http://127.0.0.1:" + p + "/", []Destination{loopback}},
		{"another port of an IP:port entry", "http://127.0.0.1:" + p + "/", []Destination{on(other.port)}},
		{"a port entry and an address entry do not combine", "http://127.0.0.1:" + p + "/", append(anyAddr(target.port), loopback)},
		{"other loopback address", "http://127.0.0.2:" + strconv.Itoa(int(other.port)) + "/", append(anyAddr(other.port), loopback)},
		{"redirect to loopback", toOther.URL, []Destination{on(toOther.port), on(other.port)}},
		{"redirect to private", toPrivate.URL, []Destination{on(toPrivate.port)}},
		{"redirect to metadata", toMetadata.URL, []Destination{on(toMetadata.port)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var log dialLog
			c := NewClient(Config{Allow: tc.allow, dialed: log.record})
			_, err := get(t, c, tc.url)
			require.ErrorIs(t, err, ErrBlocked)
			for _, a := range log.get() {
				// Only an allowlisted redirector may have been dialled.
				ap := netip.MustParseAddrPort(a)
				require.True(t, loopback32.Contains(ap.Addr()), "dialled %s", a)
			}
		})
	}
	require.Zero(t, target.Hits(), "the loopback target was reached")
	require.Zero(t, other.Hits(), "the other loopback target was reached")
	require.Zero(t, v6.Hits(), "the IPv6 loopback target was reached")
	for _, r := range []*sink{toOther, toPrivate, toMetadata} {
		require.EqualValues(t, 1, r.Hits(), "each redirector answers once")
	}
}

func uint16FromString(s string) uint16 {
	n, _ := strconv.Atoi(s)
	return uint16(n)
}

func TestGuardAllowsAllowlisted(t *testing.T) {
	t.Parallel()
	target := newSink(t, "127.0.0.1:0", nil)
	var log dialLog
	c := NewClient(Config{Allow: []Destination{{Prefix: netip.MustParsePrefix("127.0.0.0/8"), Port: target.port}}, dialed: log.record})
	resp, err := get(t, c, target.URL)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.EqualValues(t, 1, target.Hits())
	require.Equal(t, []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(int(target.port)))}, log.get())
}

func TestRedirectLimit(t *testing.T) {
	t.Parallel()
	var s *sink
	s = newSink(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, s.URL+"/again", http.StatusFound)
	})
	cfg := Config{Allow: []Destination{{Prefix: netip.MustParsePrefix("127.0.0.1/32"), Port: s.port}}}
	for _, tc := range []struct {
		max  int
		hits int64
	}{{0, 1 + DefaultMaxRedirects}, {1, 2}, {-1, 1}} {
		t.Run(fmt.Sprint(tc.max), func(t *testing.T) {
			before := s.Hits()
			cfg.MaxRedirects = tc.max
			_, err := get(t, NewClient(cfg), s.URL)
			require.ErrorIs(t, err, ErrRedirect)
			require.Equal(t, tc.hits, s.Hits()-before)
		})
	}
}

func TestNoProxy(t *testing.T) {
	t.Parallel()
	tr, ok := NewClient(Config{}).Transport.(*http.Transport)
	require.True(t, ok)
	require.Nil(t, tr.Proxy)
}

func TestReadBodyCap(t *testing.T) {
	t.Parallel()
	s := newSink(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Has("chunked") {
			w.(http.Flusher).Flush() // no Content-Length
		}
		_, _ = w.Write(make([]byte, n))
	})
	c := NewClient(Config{Allow: []Destination{{Prefix: netip.MustParsePrefix("127.0.0.1/32"), Port: s.port}}})
	for _, tc := range []struct {
		query string
		ok    bool
	}{{"n=100", true}, {"n=101", false}, {"n=101&chunked", false}, {"n=100&chunked", true}, {"n=5000000", false}} {
		t.Run(tc.query, func(t *testing.T) {
			resp, err := c.Get(s.URL + "/?" + tc.query)
			require.NoError(t, err)
			b, err := ReadBody(resp, 100)
			if tc.ok {
				require.NoError(t, err)
				require.Len(t, b, 100)
				return
			}
			require.ErrorIs(t, err, ErrTooLarge)
		})
	}
}

func TestParseAllow(t *testing.T) {
	t.Parallel()
	pfx := netip.MustParsePrefix
	tests := []struct {
		in   string
		want []Destination
		err  string
	}{
		{"", nil, ""},
		{"10.1.0.0/16, 127.0.0.1:8080,[::1]:9000, :8443, 192.168.1.7, ::1, 10.2.0.0/16:8443, [fd00::/8]:9443, ::ffff:10.0.0.1",
			[]Destination{{pfx("10.1.0.0/16"), 0}, {pfx("127.0.0.1/32"), 8080}, {pfx("::1/128"), 9000}, {netip.Prefix{}, 8443},
				{pfx("192.168.1.7/32"), 0}, {pfx("::1/128"), 0}, {pfx("10.2.0.0/16"), 8443}, {pfx("fd00::/8"), 9443}, {pfx("10.0.0.1/32"), 0}}, ""},
		{"10.1.2.3/8", []Destination{{pfx("10.0.0.0/8"), 0}}, ""},
		{"localhost:8080", nil, "host names cannot be allowlisted"},
		{"example.com", nil, "want an IP address or CIDR prefix"},
		{"127.0.0.1:0", nil, "bad port"},
		{"127.0.0.1:99999", nil, "bad port"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseAllow(tc.in)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			for _, d := range got { // String writes what ParseAllow reads
				back, err := ParseAllow(d.String())
				require.NoError(t, err)
				require.Equal(t, []Destination{d}, back)
			}
		})
	}
}

// TestAllowEntriesMeanWhatTheySay: each entry opens exactly the addresses and ports it
// names, and the hint for a refused destination names the entry that opens it.
func TestAllowEntriesMeanWhatTheySay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		allow string
		addr  string
		open  bool
	}{
		{"", "93.184.215.14:443", true}, // public, default port
		{"", "93.184.215.14:8443", false},
		{"", "10.0.0.5:443", false},
		{"10.0.0.5:8443", "10.0.0.5:8443", true},
		{"10.0.0.5:8443", "10.0.0.5:443", false}, // an IP:port entry does not open 80 or 443
		{"10.0.0.5:8443", "10.0.0.5:80", false},
		{"10.0.0.5:8443", "10.0.0.6:8443", false},
		{"10.0.0.5", "10.0.0.5:443", true},
		{"10.0.0.5", "10.0.0.5:80", true},
		{"10.0.0.5", "10.0.0.5:8443", false}, // an address entry opens 80 and 443 only
		{"10.0.0.0/16", "10.0.3.4:80", true},
		{"10.0.0.0/16", "10.1.3.4:80", false},
		{"10.0.0.0/16:9000", "10.0.3.4:9000", true},
		{"10.0.0.0/16:9000", "10.0.3.4:443", false},
		{":8443", "93.184.215.14:8443", true},
		{":8443", "10.0.0.5:8443", false},           // a port entry opens public addresses only
		{":8443, 10.0.0.5", "10.0.0.5:8443", false}, // entries never combine
		{"10.0.0.5:8443, :9000", "10.0.0.5:9000", false},
		{"[fd00::7]:8443", "[fd00::7]:8443", true},
		{"[fd00::7]:8443", "[fd00::7]:443", false},
		{"127.0.0.1:8080", "[::ffff:127.0.0.1]:8080", true}, // mapped addresses are judged as IPv4
		{"::ffff:127.0.0.1", "127.0.0.1:80", true},
	}
	for _, tc := range tests {
		t.Run(tc.allow+" → "+tc.addr, func(t *testing.T) {
			allow, err := ParseAllow(tc.allow)
			require.NoError(t, err)
			err = newGuard(Config{Allow: allow}).check(netip.MustParseAddrPort(tc.addr))
			if tc.open {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrBlocked)
			// The hint names the one entry that opens this destination, and it does.
			hint := Hint(err)
			entry := strings.Fields(strings.TrimPrefix(hint, "an operator can allow it by adding "))[0]
			fix, err := ParseAllow(entry)
			require.NoError(t, err, hint)
			require.NoError(t, newGuard(Config{Allow: fix}).check(netip.MustParseAddrPort(tc.addr)), hint)
		})
	}
	require.Empty(t, Hint(ErrRedirect))
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	allow, err := ParseAllow("127.0.0.1:8080, [::1]:8080") // localhost may resolve to either
	require.NoError(t, err)
	cfg := Config{Allow: allow}
	for u, ok := range map[string]bool{
		"http://127.0.0.1:8080/hook": true, "http://localhost:8080/hook": true, "https://93.184.215.14/": true,
		"http://127.0.0.1/hook": false, "http://localhost:9090/": false, "http://10.0.0.1/": false,
		"http://169.254.169.254/": false, "http://2130706433:8080/": false, "http://[::1]:9090/": false,
		"http://unresolvable.invalid/": true, // judged again at every dial
	} {
		err := cfg.CheckURL(ctx, u)
		if ok {
			require.NoError(t, err, u)
		} else {
			require.ErrorIs(t, err, ErrBlocked, u)
			require.NotEmpty(t, Hint(err), u)
		}
	}
}

func TestCheckHost(t *testing.T) {
	t.Parallel()
	for host, blocked := range map[string]bool{
		"2130706433": true, "0x7f000001": true, "0177.0.0.1": true, "127.1": true, "1.2.3": true,
		"127.0.0.1": false, "example.com": false, "cafe.de": false, "1password.com": false, "3com.com": false,
	} {
		err := checkHost(net.JoinHostPort(host, "80"))
		require.Equal(t, blocked, err != nil, "%s: %v", host, err)
	}
}
