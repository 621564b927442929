package bench

import (
	"encoding/binary"
	"net/netip"
)

// Per-copy offsets. seqStride is odd and far from any window size, so copies
// never overlap in sequence space; portStride is prime, so client ports of
// successive copies spread over the whole non-privileged range.
const (
	seqStride  = 0x9e3779b1
	portStride = 7919
	portBase   = 1024
	portRange  = 65536 - portBase
)

// endpoint is one side of a conversation as the planner keys it.
type endpoint struct {
	addr netip.Addr
	port uint16
}

type convKey struct {
	proto uint8
	a, b  endpoint // ordered so that a < b
}

// parseL3L4 finds the IP and transport headers of an Ethernet frame (802.1Q
// tags skipped). It reports l4 < 0 when the frame is not an unfragmented
// TCP or UDP packet whose headers were captured whole.
func parseL3L4(b []byte) (l3, l4 int, v6 bool, proto uint8) {
	if len(b) < 14 {
		return -1, -1, false, 0
	}
	et := binary.BigEndian.Uint16(b[12:])
	off := 14
	for i := 0; i < 4 && (et == 0x8100 || et == 0x88a8 || et == 0x9100); i++ {
		if len(b) < off+4 {
			return -1, -1, false, 0
		}
		et = binary.BigEndian.Uint16(b[off+2:])
		off += 4
	}
	switch et {
	case 0x0800:
		if len(b) < off+20 || b[off]>>4 != 4 {
			return -1, -1, false, 0
		}
		ihl := int(b[off]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(b[off+2:]))
		frag := binary.BigEndian.Uint16(b[off+6:])
		if ihl < 20 || frag&0x3fff != 0 || total < ihl || off+total > len(b) {
			return off, -1, false, 0
		}
		return off, off + ihl, false, b[off+9]
	case 0x86dd:
		// Only the fixed header: extension headers leave the frame as is.
		if len(b) < off+40 || b[off]>>4 != 6 {
			return -1, -1, false, 0
		}
		plen := int(binary.BigEndian.Uint16(b[off+4:]))
		if off+40+plen > len(b) {
			return off, -1, true, 0
		}
		return off, off + 40, true, b[off+6]
	}
	return -1, -1, false, 0
}

func addrs(b []byte, l3 int, v6 bool) (src, dst netip.Addr) {
	if v6 {
		return netip.AddrFrom16([16]byte(b[l3+8 : l3+24])), netip.AddrFrom16([16]byte(b[l3+24 : l3+40]))
	}
	return netip.AddrFrom4([4]byte(b[l3+12 : l3+16])), netip.AddrFrom4([4]byte(b[l3+16 : l3+20]))
}

// plan decides, once per seed, which frames are rewritten and which of
// their ports is the client's: the SYN sender's for TCP when the handshake
// is in the seed, else the higher port (the first sender's on a tie).
func plan(s *Seed) {
	client := map[convKey]endpoint{}
	for i := range s.Frames {
		f := &s.Frames[i]
		b := f.Data
		f.l3, f.l4, f.v6, f.proto = parseL3L4(b)
		if f.l4 < 0 || (f.proto != 6 && f.proto != 17) {
			f.l4 = -1
			continue
		}
		hl := 8
		if f.proto == 6 {
			hl = 20
		}
		if len(b) < f.l4+hl {
			f.l4 = -1
			continue
		}
		sa, da := addrs(b, f.l3, f.v6)
		src := endpoint{sa, binary.BigEndian.Uint16(b[f.l4:])}
		dst := endpoint{da, binary.BigEndian.Uint16(b[f.l4+2:])}
		k := convKey{proto: f.proto, a: src, b: dst}
		if less(dst, src) {
			k.a, k.b = dst, src
		}
		syn := f.proto == 6 && b[f.l4+13]&0x12 == 0x02
		c, known := client[k]
		if syn || !known {
			switch {
			case syn:
				c = src
			case dst.port > src.port:
				c = dst
			default:
				c = src
			}
			client[k] = c
		}
		f.clientIsSrc = c == src
		f.clientLow = c.port < portBase
	}
}

func less(x, y endpoint) bool {
	if c := x.addr.Compare(y.addr); c != 0 {
		return c < 0
	}
	return x.port < y.port
}

// rewrite makes frame f of copy c in dst (a copy of f.Data): it moves the
// client port, offsets TCP sequence and acknowledgement numbers and
// recomputes the checksums.
func rewrite(dst []byte, f *Frame, c int) {
	if f.l4 < 0 {
		return
	}
	l4 := f.l4
	if !f.clientLow {
		po := l4 + 2
		if f.clientIsSrc {
			po = l4
		}
		p := int(binary.BigEndian.Uint16(dst[po:]))
		p = portBase + (p-portBase+c*portStride)%portRange
		binary.BigEndian.PutUint16(dst[po:], uint16(p))
	}
	var end int
	if f.v6 {
		end = f.l3 + 40 + int(binary.BigEndian.Uint16(dst[f.l3+4:]))
	} else {
		end = f.l3 + int(binary.BigEndian.Uint16(dst[f.l3+2:]))
	}
	if f.proto == 6 {
		d := uint32(c) * seqStride
		binary.BigEndian.PutUint32(dst[l4+4:], binary.BigEndian.Uint32(dst[l4+4:])+d)
		if dst[l4+13]&0x10 != 0 {
			binary.BigEndian.PutUint32(dst[l4+8:], binary.BigEndian.Uint32(dst[l4+8:])+d)
		}
		dst[l4+16], dst[l4+17] = 0, 0
		binary.BigEndian.PutUint16(dst[l4+16:], transportSum(dst, f, l4, end))
	} else if dst[l4+6] != 0 || dst[l4+7] != 0 || f.v6 {
		dst[l4+6], dst[l4+7] = 0, 0
		s := transportSum(dst, f, l4, end)
		if s == 0 {
			s = 0xffff
		}
		binary.BigEndian.PutUint16(dst[l4+6:], s)
	}
	if !f.v6 {
		// The IPv4 header is unchanged, but seeds may carry offloaded
		// (zero) checksums: make them right.
		ihl := int(dst[f.l3]&0x0f) * 4
		dst[f.l3+10], dst[f.l3+11] = 0, 0
		binary.BigEndian.PutUint16(dst[f.l3+10:], ^fold(sum(0, dst[f.l3:f.l3+ihl])))
	}
}

func transportSum(b []byte, f *Frame, l4, end int) uint16 {
	var s uint64
	n := end - l4
	if f.v6 {
		s = sum(s, b[f.l3+8:f.l3+40])
		s += uint64(n) + uint64(f.proto)
	} else {
		s = sum(s, b[f.l3+12:f.l3+20])
		s += uint64(n) + uint64(f.proto)
	}
	return ^fold(sum(s, b[l4:end]))
}

func sum(s uint64, b []byte) uint64 {
	for len(b) >= 2 {
		s += uint64(b[0])<<8 | uint64(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return s
}

func fold(s uint64) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}
