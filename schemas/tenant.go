package schemas

import (
	"errors"
	"fmt"
)

// MaxTenantLength is the longest tenant ID, in bytes.
const MaxTenantLength = 150

var (
	errTenantTooLong  = fmt.Errorf("tenant ID is too long: max %d characters", MaxTenantLength)
	errUnsafeTenantID = errors.New("tenant ID is '.' or '..'")
)

// ValidTenantID applies Loki's tenant ID rules (those of dskit's tenant package, with its
// messages, which Loki answers on push and query alike): at most MaxTenantLength bytes from
// [A-Za-z0-9!-_.*'()], and not "." or "..". The empty ID is the caller's to refuse (Loki
// reports it as a missing org ID). TenantToken escapes '.', '*' and the rest, so a valid ID
// can never form another subject or object key.
func ValidTenantID(s string) error {
	for i := 0; i < len(s); i++ {
		if !tenantByte(s[i]) {
			return fmt.Errorf("tenant ID '%s' contains unsupported character '%c'", s, rune(s[i]))
		}
	}
	if len(s) > MaxTenantLength {
		return errTenantTooLong
	}
	if s == "." || s == ".." {
		return errUnsafeTenantID
	}
	return nil
}

func tenantByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '!', '-', '_', '.', '*', '\'', '(', ')':
		return true
	}
	return false
}
