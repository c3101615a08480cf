package safehttp

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
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
		allow []netip.Prefix
		ports []uint16
	}{
		{"loopback", "http://127.0.0.1:" + p + "/", nil, []uint16{target.port}},
		{"loopback v6", "http://[::1]:" + v6port + "/", nil, []uint16{target.port, uint16FromString(v6port)}},
		{"unspecified", "http://0.0.0.0:" + p + "/", nil, []uint16{target.port}},
		{"v4-mapped loopback", "http://[::ffff:127.0.0.1]:" + p + "/", nil, []uint16{target.port}},
		{"decimal IP", "http://2130706433:" + p + "/", nil, []uint16{target.port}},
		{"hex IP", "http://0x7f000001:" + p + "/", nil, []uint16{target.port}},
		{"short IP", "http://127.1:" + p + "/", nil, []uint16{target.port}},
		{"name resolving to loopback", "http://localhost:" + p + "/", nil, []uint16{target.port}},
		{"private 10/8", "http://10.0.0.1/", nil, nil},
		{"private 172.16/12", "http://172.16.0.1/", nil, nil},
		{"private 192.168/16", "http://192.168.1.1/", nil, nil},
		{"metadata", "http://169.254.169.254/latest/meta-data/", nil, nil},
		{"link-local v6", "http://[fe80::1]/", nil, nil},
		{"unique local v6", "http://[fd00::1]/", nil, nil},
		{"mapped private", "http://[::ffff:10.0.0.1]/", nil, nil},
		{"disallowed port", "http://127.0.0.1:" + p + "/", []netip.Prefix{loopback32}, nil},
		{"other loopback address", "http://127.0.0.2:" + strconv.Itoa(int(other.port)) + "/", []netip.Prefix{loopback32}, []uint16{other.port}},
		{"redirect to loopback", toOther.URL, []netip.Prefix{loopback32}, []uint16{toOther.port, other.port}},
		{"redirect to private", toPrivate.URL, []netip.Prefix{loopback32}, []uint16{toPrivate.port}},
		{"redirect to metadata", toMetadata.URL, []netip.Prefix{loopback32}, []uint16{toMetadata.port}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var log dialLog
			c := NewClient(Config{Allow: tc.allow, AllowPorts: tc.ports, dialed: log.record})
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
	c := NewClient(Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, AllowPorts: []uint16{target.port}, dialed: log.record})
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
	cfg := Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, AllowPorts: []uint16{s.port}}
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
	c := NewClient(Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, AllowPorts: []uint16{s.port}})
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
		in       string
		prefixes []netip.Prefix
		ports    []uint16
		err      string
	}{
		{"", nil, nil, ""},
		{"10.1.0.0/16, 127.0.0.1:8080,[::1]:9000, :8443, 192.168.1.7, ::1",
			[]netip.Prefix{pfx("10.1.0.0/16"), pfx("127.0.0.1/32"), pfx("::1/128"), pfx("192.168.1.7/32"), pfx("::1/128")},
			[]uint16{8080, 9000, 8443}, ""},
		{"10.1.2.3/8", []netip.Prefix{pfx("10.0.0.0/8")}, nil, ""},
		{"localhost:8080", nil, nil, "host names cannot be allowlisted"},
		{"example.com", nil, nil, "want a CIDR prefix"},
		{"127.0.0.1:0", nil, nil, "bad port"},
		{"127.0.0.1:99999", nil, nil, "bad port"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p, ports, err := ParseAllow(tc.in)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.prefixes, p)
			require.Equal(t, tc.ports, ports)
		})
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
