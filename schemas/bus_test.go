package schemas

import (
	"strings"
	"testing"
)

// FuzzTenantToken: a token is one subject token (no '.', '*', '>' or space), it decodes back
// to its tenant, and TenantFromToken never panics on anything. So "x.y" (x=2Ey) and "x=2Ey"
// (x=3D2Ey) never share a subject.
func FuzzTenantToken(f *testing.F) {
	for _, s := range []string{"tenant-1", "x.y", "x=2Ey", "a*", "a>", "..", "=", "=2", "=zz", "é", "(x)!'", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok := TenantToken(s)
		if strings.ContainsAny(tok, ".*> \t\r\n") {
			t.Fatalf("token %q of %q is not one subject token", tok, s)
		}
		back, err := TenantFromToken(tok)
		if err != nil || back != s {
			t.Fatalf("token %q of %q decodes to %q, %v", tok, s, back, err)
		}
		_, _ = TenantFromToken(s) // whatever a subject holds
		if tenant, p, err := ParseSubject(Subject(s, 3)); err != nil || tenant != s || p != 3 {
			t.Fatalf("subject of %q parses as %q/%d, %v", s, tenant, p, err)
		}
	})
}
