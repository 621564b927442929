package main

import (
	"net/netip"
	"time"
	"unicode/utf8"
)

// Hand-written JSON for the objects printed per packet (binding events):
// encoding/json reflects over a struct and builds a string for every field,
// which made it a third of `rpcwatch read --json`'s time on an EPM-heavy
// capture. The appenders below write the same bytes into a reused buffer
// and allocate nothing; jsonappend_test.go checks them against
// encoding/json (with SetEscapeHTML(false), as the renderer uses it) on
// every byte value and on fuzzed strings.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped exactly as
// encoding/json does without HTML escaping: '"' and '\\' backslashed;
// newline, carriage return, tab, backspace and form feed as \n \r \t \b
// \f; the other control characters below 0x20 as \u00XX; invalid UTF-8 as
// \ufffd; U+2028 and U+2029 as \u2028 and \u2029.
func appendJSONString[S string | []byte](b []byte, s S) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := decodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func decodeRune[S string | []byte](s S) (rune, int) {
	switch v := any(s).(type) {
	case string:
		return utf8.DecodeRuneInString(v)
	case []byte:
		return utf8.DecodeRune(v)
	}
	return utf8.RuneError, 1
}

// appendJSONKey appends ,"key": (without the comma for the first field).
func appendJSONKey(b []byte, key string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// jsonClock formats capture times for JSON lines. Packets arrive in time
// order, so the date and time of day are formatted once per second and the
// nanoseconds appended to them.
type jsonClock struct {
	sec    int64 // Unix second of prefix; valid when n > 0
	prefix [32]byte
	n      int
}

// appendTime appends ns as the quoted RFC 3339 UTC time with nanoseconds
// that jsonTime returns.
func (c *jsonClock) appendTime(b []byte, ns int64) []byte {
	if ns < 0 { // before 1970: rare enough for the general path
		b = append(b, '"')
		b = time.Unix(0, ns).UTC().AppendFormat(b, jsonTimeLayout)
		return append(b, '"')
	}
	sec, frac := ns/1e9, ns%1e9
	if c.n == 0 || sec != c.sec {
		p := time.Unix(sec, 0).UTC().AppendFormat(c.prefix[:0], "2006-01-02T15:04:05.")
		c.sec, c.n = sec, len(p)
	}
	b = append(b, '"')
	b = append(b, c.prefix[:c.n]...)
	var d [9]byte
	for i := 8; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	b = append(b, d[:]...)
	return append(b, 'Z', '"')
}

// appendJSONAddr appends the address as a JSON string ("" when invalid).
// Addresses print only digits, hex, dots, colons and a zone; the zone is
// escaped like any string.
func appendJSONAddr(b []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(b, '"', '"')
	}
	if a.Zone() != "" {
		var tmp [64]byte
		return appendJSONString(b, a.AppendTo(tmp[:0]))
	}
	b = append(b, '"')
	b = a.AppendTo(b)
	return append(b, '"')
}
