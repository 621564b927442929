package dcom

import "net/netip"

// MaxFusedParts is the largest number of addresses SplitFused looks for in
// one fused string.
const MaxFusedParts = 4

// FusedAmbiguous is what SplitFused returns when a string can be read as
// glued addresses in more than one way.
const FusedAmbiguous = -1

// maxFusedInput bounds the input SplitFused examines: MaxFusedParts of the
// longest IPv6 literal (45 bytes, with an IPv4 tail).
const maxFusedInput = MaxFusedParts * maxIPLiteral

// maxIPLiteral is the longest IP literal text: an IPv6 address with an
// embedded IPv4 tail, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255".
const maxIPLiteral = 45

// SplitFused tells whether addr (a network address without its [endpoint])
// is two or more IP addresses glued together, as in the multihomed-server
// fault of Microsoft KB 224460 where "157.61.239.61" and "157.61.239.5" are
// sent as the one address "157.61.239.61157.61.239.5".
//
// A reading of addr is a way to cut it into 2..MaxFusedParts consecutive,
// non-empty pieces that are each a plausible interface address:
//   - a strict IP literal (see ParseIP: dotted-decimal IPv4 without leading
//     zeros, or an IPv6 literal without a zone);
//   - not an address no interface can have: IPv4 0.0.0.0/8, 224.0.0.0 and
//     above (multicast, reserved, broadcast); IPv6 :: and ff00::/8.
//
// Every cut position is tried. The plausibility rule removes readings such
// as "10.0.0.11" + "0.0.0.2" for "10.0.0.110.0.0.2", leaving the intended
// "10.0.0.1" + "10.0.0.2".
//
// Results:
//   - exactly one reading: its n >= 2 parts are stored in out[:n] and n is
//     returned. For the KB 224460 string this is 157.61.239.61 and
//     157.61.239.5: cutting one digit earlier or later gives "1157" or
//     "611" as an octet.
//   - more than one reading: FusedAmbiguous, out is zeroed. Dotted quads
//     whose glued octets both fit ("1.2.3.1231.2.3.4") and most glued IPv6
//     literals are ambiguous: no rule can tell where one ends.
//   - no reading (a host name, a valid single address, garbage, more than
//     MaxFusedParts pieces, input longer than MaxFusedParts*45 bytes): 0.
//
// SplitFused does not allocate. Its work is bounded by len(addr) times 45
// literal parses of at most 45 bytes each; inputs with a byte outside
// [0-9A-Fa-f.:] are rejected after one scan.
func SplitFused(addr []byte, out *[MaxFusedParts]netip.Addr) int {
	*out = [MaxFusedParts]netip.Addr{}
	if len(addr) < 2 || len(addr) > maxFusedInput {
		return 0
	}
	colon := false
	for _, c := range addr {
		switch {
		case c == ':':
			colon = true
		case c == '.' || hexVal(c) >= 0:
		default:
			return 0
		}
	}
	maxLen := 15 // longest dotted quad
	if colon {
		maxLen = maxIPLiteral
	}
	// valid[i] has bit l-1 set when addr[i:i+l] is a plausible address.
	var valid [maxFusedInput]uint64
	for i := range addr {
		for l := 1; l <= maxLen && i+l <= len(addr); l++ {
			if _, ok := plausibleIP(addr[i:i+l], colon); ok {
				valid[i] |= 1 << (l - 1)
			}
		}
	}
	s := fusedSearch{addr: addr, valid: &valid}
	s.walk(0, 0)
	switch {
	case s.found == 1:
		for k := 0; k < s.n; k++ {
			out[k], _ = plausibleIP(addr[s.cuts[k]:s.cuts[k+1]], colon)
		}
		return s.n
	case s.found > 1:
		return FusedAmbiguous
	}
	return 0
}

// fusedSearch is a depth-first walk over cut positions that stops after
// two readings and remembers dead ends, so each (position, depth) pair is
// expanded at most once.
type fusedSearch struct {
	addr  []byte
	valid *[maxFusedInput]uint64
	dead  [MaxFusedParts][maxFusedInput]bool
	path  [MaxFusedParts + 1]int
	cuts  [MaxFusedParts + 1]int // the first reading's cut positions
	n     int                    // parts in the first reading
	found int
}

// walk reports whether a reading was completed from position i with depth
// parts already placed.
func (s *fusedSearch) walk(i, depth int) bool {
	if s.found > 1 || s.dead[depth][i] {
		return false
	}
	s.path[depth] = i
	done := false
	for v, l := s.valid[i], 1; v != 0; v, l = v>>1, l+1 {
		if v&1 == 0 {
			continue
		}
		j := i + l
		if j == len(s.addr) {
			if depth >= 1 {
				done = true
				s.found++
				if s.found == 1 {
					s.path[depth+1] = j
					s.cuts = s.path
					s.n = depth + 1
				}
			}
		} else if depth+1 < MaxFusedParts && s.walk(j, depth+1) {
			done = true
		}
		if s.found > 1 {
			return true
		}
	}
	if !done {
		s.dead[depth][i] = true
	}
	return done
}

// plausibleIP parses a strict IP literal that an interface could carry;
// v6 false skips the IPv6 parser (the input has no colon at all).
func plausibleIP(b []byte, v6 bool) (netip.Addr, bool) {
	ip, ok := parseIPv4(b)
	if !ok && v6 {
		ip, ok = parseIPv6(b)
	}
	if !ok {
		return ip, false
	}
	if ip.Is4() {
		a := ip.As4()
		if a[0] == 0 || a[0] >= 224 {
			return ip, false
		}
		return ip, true
	}
	if ip.IsUnspecified() || ip.IsMulticast() {
		return ip, false
	}
	return ip, true
}
