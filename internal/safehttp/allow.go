package safehttp

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// ParseAllow parses an allowlist such as "10.1.0.0/16, 127.0.0.1:8080, [::1]:9000, :8443"
// into the prefixes and ports of a Config. Each comma-separated entry is a CIDR prefix,
// an IP address, an IP address with a port, or a port alone (":8443"). A port, wherever it
// appears, is allowed for every destination the guard lets through. Host names are
// refused: the guard judges resolved addresses, and a name can resolve anywhere.
func ParseAllow(s string) ([]netip.Prefix, []uint16, error) {
	var (
		prefixes []netip.Prefix
		ports    []uint16
	)
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		p, port, err := parseAllowEntry(entry)
		if err != nil {
			return nil, nil, fmt.Errorf("allowlist entry %q: %w", entry, err)
		}
		if p.IsValid() {
			prefixes = append(prefixes, p)
		}
		if port != 0 {
			ports = append(ports, port)
		}
	}
	return prefixes, ports, nil
}

func parseAllowEntry(entry string) (netip.Prefix, uint16, error) {
	if p, err := netip.ParsePrefix(entry); err == nil {
		return p.Masked(), 0, nil
	}
	if a, err := netip.ParseAddr(entry); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), 0, nil
	}
	host, portText, err := net.SplitHostPort(entry)
	if err != nil {
		return netip.Prefix{}, 0, fmt.Errorf("want a CIDR prefix, an IP address, IP:port or :port")
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || port == 0 {
		return netip.Prefix{}, 0, fmt.Errorf("bad port %q", portText)
	}
	if host == "" {
		return netip.Prefix{}, uint16(port), nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}, 0, fmt.Errorf("%q is not an IP address (host names cannot be allowlisted)", host)
	}
	return netip.PrefixFrom(a, a.BitLen()), uint16(port), nil
}
