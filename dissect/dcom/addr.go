package dcom

import "net/netip"

// AddrKind classifies the network address of a string binding.
type AddrKind uint8

// Address classes returned by [ClassifyAddress].
const (
	// AddrInvalid is neither an IP literal nor a valid host name, e.g. the
	// fused 157.61.239.61157.61.239.5 or an empty address.
	AddrInvalid AddrKind = iota
	// AddrIPv4 is a dotted-decimal IPv4 literal.
	AddrIPv4
	// AddrIPv6 is an IPv6 literal (an IPv4-mapped form included), with an
	// optional %zone suffix.
	AddrIPv6
	// AddrHostName is a DNS or NetBIOS-style host name.
	AddrHostName
)

var addrKindNames = [...]string{"invalid", "ipv4", "ipv6", "hostname"}

// String returns "invalid", "ipv4", "ipv6" or "hostname".
func (k AddrKind) String() string {
	if int(k) < len(addrKindNames) {
		return addrKindNames[k]
	}
	return "invalid"
}

// Valid reports whether the address is usable (an IP literal or a host
// name).
func (k AddrKind) Valid() bool { return k != AddrInvalid }

// ClassifyAddress tells what a network address (without its [endpoint]) is
// and returns the IP when it is an IP literal. It does not allocate.
//
// The rules:
//   - IPv4: exactly four decimal fields 0..255, no leading zeros, no other
//     characters (RFC 1123 section 2.1 dotted-decimal, as net/netip reads
//     it).
//   - IPv6: RFC 4291 section 2.2 text forms as net/netip reads them; an
//     optional "%zone" of letters, digits, '.', '_' or '-' is allowed and
//     dropped from the returned Addr.
//   - Host name: 1..253 bytes (one trailing dot allowed), labels of 1..63
//     bytes of letters, digits, '-' and '_' that neither start nor end with
//     '-'. '_' is outside RFC 1123 but common in NetBIOS computer names. A
//     name whose last label is all digits is rejected (RFC 3696 section 2:
//     no all-numeric top-level label): that is what rejects dotted-digit
//     strings that are not IPv4, such as 157.61.239.61157.61.239.5, and
//     all-digit names, which Windows does not allow for computers either.
//
// Anything else, the empty string included, is AddrInvalid.
func ClassifyAddress(b []byte) (AddrKind, netip.Addr) {
	if ip, ok := parseIPv4(b); ok {
		return AddrIPv4, ip
	}
	if hasByte(b, ':') {
		s := b
		if i := indexByte(b, '%'); i >= 0 {
			if !validZone(b[i+1:]) {
				return AddrInvalid, netip.Addr{}
			}
			s = b[:i]
		}
		if ip, ok := parseIPv6(s); ok {
			return AddrIPv6, ip
		}
		return AddrInvalid, netip.Addr{}
	}
	if validHostName(b) {
		return AddrHostName, netip.Addr{}
	}
	return AddrInvalid, netip.Addr{}
}

// ParseIP parses an IPv4 or IPv6 literal without a zone, with the same
// acceptance as netip.ParseAddr for zone-less input, without allocating.
func ParseIP(b []byte) (netip.Addr, bool) {
	if ip, ok := parseIPv4(b); ok {
		return ip, true
	}
	return parseIPv6(b)
}

func hasByte(b []byte, c byte) bool { return indexByte(b, c) >= 0 }

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func validZone(z []byte) bool {
	if len(z) == 0 || len(z) > 64 {
		return false
	}
	for _, c := range z {
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// parseIPv4 reads strict dotted decimal: four fields of 1..3 digits, value
// <= 255, no leading zero except "0" itself.
func parseIPv4(b []byte) (netip.Addr, bool) {
	var a [4]byte
	field, i := 0, 0
	for field < 4 {
		start := i
		v := 0
		for i < len(b) && isDigit(b[i]) && i-start < 3 {
			v = v*10 + int(b[i]-'0')
			i++
		}
		n := i - start
		if n == 0 || v > 255 || (n > 1 && b[start] == '0') {
			return netip.Addr{}, false
		}
		a[field] = byte(v)
		field++
		if field < 4 {
			if i >= len(b) || b[i] != '.' {
				return netip.Addr{}, false
			}
			i++
		}
	}
	if i != len(b) {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(a), true
}

func hexVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// parseIPv6 reads the RFC 4291 text forms without a zone: eight groups of
// 1..4 hex digits, at most one "::" standing for one or more zero groups,
// and an optional dotted IPv4 tail in the last 32 bits.
func parseIPv6(s []byte) (netip.Addr, bool) {
	var ip [16]byte
	ellipsis := -1
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		ellipsis = 0
		s = s[2:]
		if len(s) == 0 {
			return netip.IPv6Unspecified(), true
		}
	}
	i := 0
	for i < 16 {
		n, v := 0, 0
		for n < len(s) && n < 5 {
			h := hexVal(s[n])
			if h < 0 {
				break
			}
			v = v<<4 | h
			n++
		}
		if n == 0 || n > 4 {
			return netip.Addr{}, false
		}
		if n < len(s) && s[n] == '.' {
			if (ellipsis < 0 && i != 12) || i+4 > 16 {
				return netip.Addr{}, false
			}
			a4, ok := parseIPv4(s)
			if !ok {
				return netip.Addr{}, false
			}
			b4 := a4.As4()
			copy(ip[i:], b4[:])
			i += 4
			s = s[len(s):]
			break
		}
		ip[i], ip[i+1] = byte(v>>8), byte(v)
		i += 2
		s = s[n:]
		if len(s) == 0 {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return netip.Addr{}, false
		}
		s = s[1:]
		if s[0] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, false
			}
			ellipsis = i
			s = s[1:]
			if len(s) == 0 {
				break
			}
		}
	}
	if len(s) != 0 {
		return netip.Addr{}, false
	}
	if i < 16 {
		if ellipsis < 0 {
			return netip.Addr{}, false
		}
		n := 16 - i
		for j := i - 1; j >= ellipsis; j-- {
			ip[j+n] = ip[j]
		}
		for j := ellipsis; j < ellipsis+n; j++ {
			ip[j] = 0
		}
	} else if ellipsis >= 0 {
		return netip.Addr{}, false // "::" must stand for at least one group
	}
	return netip.AddrFrom16(ip), true
}

// validHostName applies the host-name rule documented on ClassifyAddress.
func validHostName(b []byte) bool {
	if len(b) > 0 && b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	if len(b) == 0 || len(b) > 253 {
		return false
	}
	start := 0
	lastNumeric := false
	for i := 0; i <= len(b); i++ {
		if i < len(b) && b[i] != '.' {
			c := b[i]
			if !isAlnum(c) && c != '-' && c != '_' {
				return false
			}
			continue
		}
		label := b[start:i]
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		lastNumeric = true
		for _, c := range label {
			if !isDigit(c) {
				lastNumeric = false
				break
			}
		}
		start = i + 1
	}
	return !lastNumeric
}
