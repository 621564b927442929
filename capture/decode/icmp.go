package decode

import (
	"encoding/binary"
	"net/netip"
)

// icmp4Quotes reports whether an ICMPv4 type carries the start of the
// offending datagram: destination unreachable (3), source quench (4),
// redirect (5), time exceeded (11), parameter problem (12).
func icmp4Quotes(t uint8) bool {
	switch t {
	case 3, 4, 5, 11, 12:
		return true
	}
	return false
}

// icmp6Quotes reports the same for ICMPv6: destination unreachable (1),
// packet too big (2), time exceeded (3), parameter problem (4).
func icmp6Quotes(t uint8) bool { return t >= 1 && t <= 4 }

// portProto reports whether an IP protocol starts with 16-bit source and
// destination ports.
func portProto(p uint8) bool {
	switch p {
	case protoTCP, protoUDP, protoSCTP, protoDCCP, protoUDPLite:
		return true
	}
	return false
}

// quoted4 decodes the IPv4 datagram quoted by an ICMPv4 error message: the
// IP header and, when it is the first fragment of a port-carrying protocol,
// its two ports. b is the ICMP body after the 8-byte ICMP header.
func quoted4(b []byte, q *Quoted) {
	*q = Quoted{}
	if len(b) < ipv4MinHdrLen {
		q.Truncated = len(b) == 0 || b[0]>>4 == 4
		return
	}
	ihl := int(b[0]&0x0f) * 4
	if b[0]>>4 != 4 || ihl < ipv4MinHdrLen {
		return
	}
	q.Valid = true
	q.Net = NetIPv4
	q.Src = netip.AddrFrom4([4]byte(b[12:16]))
	q.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	q.IPProto = b[9]
	if binary.BigEndian.Uint16(b[6:8])&0x1fff != 0 {
		q.Fragment = true
		return
	}
	quotedPorts(b, ihl, q)
}

// quoted6 decodes the IPv6 datagram quoted by an ICMPv6 error message,
// walking at most maxIPv6ExtHeaders extension headers. b is the ICMPv6 body
// after the 8-byte ICMPv6 header.
func quoted6(b []byte, q *Quoted) {
	*q = Quoted{}
	if len(b) < ipv6HdrLen {
		q.Truncated = len(b) == 0 || b[0]>>4 == 6
		return
	}
	if b[0]>>4 != 6 {
		return
	}
	q.Valid = true
	q.Net = NetIPv6
	q.Src = netip.AddrFrom16([16]byte(b[8:24]))
	q.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	nh := b[6]
	off := ipv6HdrLen
	for i := 0; i < maxIPv6ExtHeaders; i++ {
		var n int
		switch nh {
		case protoIPv6Hop, protoIPv6Route, protoIPv6Dest:
			if off+2 > len(b) {
				q.IPProto = nh
				q.Truncated = true
				return
			}
			n = (int(b[off+1]) + 1) * 8
		case protoAH:
			if off+2 > len(b) {
				q.IPProto = nh
				q.Truncated = true
				return
			}
			n = (int(b[off+1]) + 2) * 4
		case protoIPv6Frag:
			if off+8 > len(b) {
				q.IPProto = nh
				q.Truncated = true
				return
			}
			if binary.BigEndian.Uint16(b[off+2:off+4])>>3 != 0 {
				q.IPProto = b[off]
				q.Fragment = true
				return
			}
			n = 8
		default:
			q.IPProto = nh
			quotedPorts(b, off, q)
			return
		}
		nh = b[off]
		off += n
	}
	// Too many extension headers: give the protocol reached, no ports.
	q.IPProto = nh
}

// quotedPorts reads the two ports at b[off:] when the protocol has them.
func quotedPorts(b []byte, off int, q *Quoted) {
	if !portProto(q.IPProto) {
		return
	}
	if off+4 > len(b) {
		q.Truncated = true
		return
	}
	q.HasPorts = true
	q.SrcPort = binary.BigEndian.Uint16(b[off : off+2])
	q.DstPort = binary.BigEndian.Uint16(b[off+2 : off+4])
}
