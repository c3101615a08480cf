package safehttp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Destination is one allowlist entry: the addresses it opens and on which port. Each
// entry means exactly what it says and entries never combine: "10.1.2.3:8443" opens
// port 8443 on 10.1.2.3 and nothing else.
type Destination struct {
	// Prefix is the addresses the entry opens; the zero Prefix means the public
	// addresses, the ones the guard lets through without an entry.
	Prefix netip.Prefix
	// Port is the one port the entry opens; 0 means the default ports 80 and 443.
	Port uint16
}

// String is the entry as ParseAllow reads it.
func (d Destination) String() string {
	addr := ""
	if d.Prefix.IsValid() {
		addr = d.Prefix.String()
		if d.Prefix.IsSingleIP() {
			addr = d.Prefix.Addr().String()
		}
	}
	if d.Port == 0 {
		return addr
	}
	return net.JoinHostPort(addr, strconv.Itoa(int(d.Port)))
}

// opens reports whether the entry opens ap (an unmapped address).
func (d Destination) opens(ap netip.AddrPort) bool {
	if !d.Prefix.IsValid() || !d.Prefix.Contains(ap.Addr()) {
		return false
	}
	if d.Port == 0 {
		return isDefaultPort(ap.Port())
	}
	return ap.Port() == d.Port
}

func isDefaultPort(p uint16) bool { return p == 80 || p == 443 }

// AllowRule says how an allowlist is written, for error messages and hints.
const AllowRule = "each entry opens exactly what it names: `10.1.2.3` or `10.1.0.0/16` " +
	"on ports 80 and 443, `10.1.2.3:8443` or `10.1.0.0/16:8443` on that port only, " +
	"`:8443` that port on public addresses"

// ParseAllow parses a comma-separated allowlist such as
// "10.1.0.0/16, 127.0.0.1:8080, [::1]:9000, 10.2.0.0/16:8443, :8443". Each entry is
//
//   - an IP address or CIDR prefix: those addresses, on ports 80 and 443;
//   - an IP address or CIDR prefix with a port (IPv6 in brackets): those addresses on
//     that port only;
//   - a port alone (":8443"): that port on public addresses (those the guard lets
//     through without an entry), not on any allowlisted private address.
//
// Host names are refused: the guard judges resolved addresses, and a name can resolve
// anywhere.
func ParseAllow(s string) ([]Destination, error) {
	var out []Destination
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		d, err := parseAllowEntry(entry)
		if err != nil {
			return nil, fmt.Errorf("allowlist entry %q: %w", entry, err)
		}
		out = append(out, d)
	}
	return out, nil
}

func parseAllowEntry(entry string) (Destination, error) {
	if p, err := parseAddrs(entry); err == nil {
		return Destination{Prefix: p}, nil
	}
	host, portText, err := net.SplitHostPort(entry)
	if err != nil {
		return Destination{}, errors.New("want an IP address or CIDR prefix, optionally with :port, or :port alone")
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || port == 0 {
		return Destination{}, fmt.Errorf("bad port %q", portText)
	}
	if host == "" {
		return Destination{Port: uint16(port)}, nil
	}
	p, err := parseAddrs(host)
	if err != nil {
		return Destination{}, fmt.Errorf("%q is not an IP address or CIDR prefix (host names cannot be allowlisted)", host)
	}
	return Destination{Prefix: p, Port: uint16(port)}, nil
}

// parseAddrs reads an IP address or a CIDR prefix, IPv4-mapped IPv6 as the IPv4 it is.
func parseAddrs(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return unmapPrefix(p.Masked()), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}
