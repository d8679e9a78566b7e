package log

import (
	"fmt"
	"net/netip"
	"strings"
)

// ipMatcher matches addresses against a CIDR, an inclusive range "a-b" or a single address.
type ipMatcher struct {
	prefix   netip.Prefix
	lo, hi   netip.Addr
	isPrefix bool
}

func newIPMatcher(pattern string) (*ipMatcher, error) {
	pattern = strings.TrimSpace(pattern)
	if strings.Contains(pattern, "/") {
		p, err := netip.ParsePrefix(pattern)
		if err != nil {
			return nil, fmt.Errorf("invalid ip CIDR %q: %w", pattern, err)
		}
		return &ipMatcher{prefix: p.Masked(), isPrefix: true}, nil
	}
	if a, b, ok := strings.Cut(pattern, "-"); ok {
		lo, err1 := netip.ParseAddr(strings.TrimSpace(a))
		hi, err2 := netip.ParseAddr(strings.TrimSpace(b))
		if err1 != nil || err2 != nil || lo.Is4() != hi.Is4() || hi.Less(lo) {
			return nil, fmt.Errorf("invalid ip range %q", pattern)
		}
		return &ipMatcher{lo: lo, hi: hi}, nil
	}
	a, err := netip.ParseAddr(pattern)
	if err != nil {
		return nil, fmt.Errorf("invalid ip address %q: %w", pattern, err)
	}
	return &ipMatcher{lo: a, hi: a}, nil
}

func (m *ipMatcher) contains(a netip.Addr) bool {
	if m.isPrefix {
		return m.prefix.Contains(a)
	}
	if a.Is4In6() && m.lo.Is4() {
		a = a.Unmap()
	}
	return a.Is4() == m.lo.Is4() && !a.Less(m.lo) && !m.hi.Less(a)
}

// matchString reports whether s is an address in the set.
func (m *ipMatcher) matchString(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && m.contains(a)
}

type ipLineMatcher struct{ m *ipMatcher }

func newIPLineMatcher(pattern string) (lineMatcher, error) {
	m, err := newIPMatcher(pattern)
	if err != nil {
		return nil, err
	}
	return ipLineMatcher{m: m}, nil
}

func isIPChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '.' || c == ':'
}

// match finds any address in the line: every maximal run of address characters is tried.
func (l ipLineMatcher) match(line []byte) bool {
	for i := 0; i < len(line); {
		if !isIPChar(line[i]) {
			i++
			continue
		}
		j := i
		for j < len(line) && isIPChar(line[j]) {
			j++
		}
		if j-i >= 2 && l.tryToken(string(line[i:j])) {
			return true
		}
		i = j
	}
	return false
}

func (l ipLineMatcher) tryToken(tok string) bool {
	if l.m.matchString(tok) {
		return true
	}
	// "10.0.0.1:8080" or a trailing sentence dot: trim a port or punctuation.
	if strings.Count(tok, ":") == 1 && strings.Contains(tok, ".") {
		host, _, _ := strings.Cut(tok, ":")
		return l.m.matchString(host)
	}
	return l.m.matchString(strings.Trim(tok, ".:"))
}
