package log

import (
	"fmt"
	"net/netip"
	"strings"
)

// ipMatcher matches addresses against a single address, a CIDR or an inclusive range
// "a-b", tried in that order as Loki does.
type ipMatcher struct {
	kind   int // ipSingle, ipPrefix or ipRange
	addr   netip.Addr
	prefix netip.Prefix
	lo, hi netip.Addr
}

const (
	ipSingle = iota
	ipPrefix
	ipRange
)

func newIPMatcher(pattern string) (*ipMatcher, error) {
	if a, err := netip.ParseAddr(pattern); err == nil {
		return &ipMatcher{kind: ipSingle, addr: a}, nil
	}
	if p, err := netip.ParsePrefix(pattern); err == nil {
		return &ipMatcher{kind: ipPrefix, prefix: p}, nil
	}
	if a, b, ok := strings.Cut(pattern, "-"); ok {
		lo, err1 := netip.ParseAddr(a)
		hi, err2 := netip.ParseAddr(b)
		if err1 == nil && err2 == nil && lo.Is4() == hi.Is4() && !hi.Less(lo) && lo.Zone() == "" && hi.Zone() == "" {
			return &ipMatcher{kind: ipRange, lo: lo, hi: hi}, nil
		}
	}
	return nil, fmt.Errorf("ip: invalid pattern: %q", pattern)
}

func (m *ipMatcher) contains(a netip.Addr) bool {
	switch m.kind {
	case ipSingle:
		return m.addr.Compare(a) == 0
	case ipPrefix:
		return m.prefix.Contains(a)
	}
	return a.Is4() == m.lo.Is4() && !a.Less(m.lo) && !m.hi.Less(a)
}

const (
	ipv4Chars = "0123456789."
	ipv6Chars = "0123456789abcdefABCDEF:."
)

// find reports whether any address in s is in the set. Like Loki, it looks for address
// starts with cheap hints (a digit followed by a dot within three bytes for IPv4; hex
// digits then a colon, or "::" and a hex digit, for IPv6), takes the longest run of address
// characters there, parses it, and on failure skips the run.
func (m *ipMatcher) find(s []byte) bool {
	n := len(s)
	for i := 0; i < n; i++ {
		var charset string
		switch {
		case i+3 < n && ipv4Hint(s[i:i+4]):
			charset = ipv4Chars
		case i+4 < n && ipv6Hint(s[i:i+5]):
			charset = ipv6Chars
		default:
			continue
		}
		span := 0
		for i+span < n && strings.IndexByte(charset, s[i+span]) >= 0 {
			span++
		}
		if a, err := netip.ParseAddr(string(s[i : i+span])); err == nil && m.contains(a) {
			return true
		}
		i += span
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func ipv4Hint(p []byte) bool {
	return isDigit(p[0]) && (p[1] == '.' || p[2] == '.' || p[3] == '.')
}

func ipv6Hint(p []byte) bool {
	if p[0] == ':' && p[1] == ':' && isHex(p[2]) {
		return true
	}
	// One to four hex digits, then a colon.
	for k := 0; k < 4; k++ {
		if !isHex(p[k]) {
			return false
		}
		if p[k+1] == ':' {
			return true
		}
	}
	return false
}

type ipLineMatcher struct{ m *ipMatcher }

func newIPLineMatcher(pattern string) (lineMatcher, error) {
	m, err := newIPMatcher(pattern)
	if err != nil {
		return nil, err
	}
	return ipLineMatcher{m: m}, nil
}

func (l ipLineMatcher) match(line []byte) bool { return l.m.find(line) }
