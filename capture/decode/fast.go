package decode

import (
	"encoding/binary"
	"net/netip"
)

// fast decodes the common clean case without gopacket's DecodingLayerParser
// (whose per-layer interface calls cost as much as everything else on the
// way to the flow table): an untagged Ethernet frame carrying IPv4 without
// options or IPv6 without extension headers, not a fragment, with a complete
// TCP or UDP header and consistent lengths. It fills p exactly as the layered
// path would and returns true; for anything else (tags, other link types,
// options, fragments, ICMP, truncation, any length the layered path turns
// into an anomaly) it returns false with p untouched, and Decode takes the
// layered path. TestFastPathMatches and FuzzFastPath check that both paths
// agree on every input the fast one accepts.
func (d *Decoder) fast(lt LinkType, frame []byte, p *Packet) bool {
	if lt != LinkTypeEthernet || len(frame) < ethernetHdrLen {
		return false
	}
	b := frame[ethernetHdrLen:len(frame):len(frame)]
	var (
		nw       Net
		src, dst netip.Addr
		hop      uint8
		proto    uint8
		l4       []byte // the IP payload: exactly the declared datagram
	)
	switch binary.BigEndian.Uint16(frame[12:14]) {
	case 0x0800:
		// version 4, IHL 5 (no options), total length within the frame,
		// MF clear and fragment offset 0.
		if len(b) < ipv4MinHdrLen || b[0] != 0x45 || binary.BigEndian.Uint16(b[6:8])&0x3fff != 0 {
			return false
		}
		total := int(binary.BigEndian.Uint16(b[2:4]))
		if total < ipv4MinHdrLen || total > len(b) {
			return false
		}
		nw, hop, proto = NetIPv4, b[8], b[9]
		src = netip.AddrFrom4([4]byte(b[12:16]))
		dst = netip.AddrFrom4([4]byte(b[16:20]))
		l4 = b[ipv4MinHdrLen:total:len(b)]
	case 0x86dd:
		if len(b) < ipv6HdrLen || b[0]>>4 != 6 {
			return false
		}
		plen := int(binary.BigEndian.Uint16(b[4:6]))
		if plen == 0 || plen > len(b)-ipv6HdrLen {
			return false
		}
		nw, hop, proto = NetIPv6, b[7], b[6]
		src = netip.AddrFrom16([16]byte(b[8:24]))
		dst = netip.AddrFrom16([16]byte(b[24:40]))
		l4 = b[ipv6HdrLen : ipv6HdrLen+plen : len(b)]
	default:
		return false
	}
	switch proto {
	case protoTCP:
		if len(l4) < tcpMinHdrLen {
			return false
		}
		doff := int(l4[12]>>4) * 4
		if doff < tcpMinHdrLen || doff > len(l4) {
			return false
		}
		pl := l4[doff:]
		p.resetLarge()
		p.LinkType, p.VLAN, p.NumVLAN, p.PktType, p.IfIndex = lt, [MaxVLANTags]uint16{}, 0, 0, 0
		p.Net, p.Src, p.Dst, p.HopLimit, p.IPProto, p.Frag = nw, src, dst, hop, proto, Frag{}
		p.Proto, p.SrcPort, p.DstPort = ProtoTCP, binary.BigEndian.Uint16(l4[0:2]), binary.BigEndian.Uint16(l4[2:4])
		p.TCP = TCPHeader{
			Seq:    binary.BigEndian.Uint32(l4[4:8]),
			Ack:    binary.BigEndian.Uint32(l4[8:12]),
			Flags:  TCPFlags(l4[13]) | TCPFlags(l4[12]&1)<<8,
			Window: binary.BigEndian.Uint16(l4[14:16]),
		}
		p.Payload, p.PayloadLen, p.Truncated = pl, len(pl), false
	case protoUDP:
		// The UDP length must be exactly the IP payload's: 0, shorter or
		// longer ones are the layered path's business (anomalies).
		if len(l4) < udpHdrLen || int(binary.BigEndian.Uint16(l4[4:6])) != len(l4) {
			return false
		}
		pl := l4[udpHdrLen:]
		*p = Packet{LinkType: lt, Net: nw, Src: src, Dst: dst, HopLimit: hop, IPProto: proto, Proto: ProtoUDP,
			SrcPort: binary.BigEndian.Uint16(l4[0:2]), DstPort: binary.BigEndian.Uint16(l4[2:4]),
			Payload: pl, PayloadLen: len(pl)}
	default:
		return false
	}
	return true
}

// resetLarge clears the two large parts of a Packet (over half its 440
// bytes) that the TCP fast path does not assign: the anomaly list only when
// an earlier decode left something in it, the ICMP quote always (72 bytes
// stored cost fewer instructions than the compiler's == on ICMP, an
// out-of-line piecewise compare through memequal that was a third of a
// fast-path decode). The fast path assigns every other field itself:
// clearing the whole Packet as one composite literal was the costliest line
// of a decode. TestPacketFields lists the fields so that a new one is not
// forgotten.
func (p *Packet) resetLarge() {
	if p.Anomalies.Len() != 0 || p.Anomalies.Dropped != 0 {
		p.Anomalies.Reset()
	}
	p.ICMP = ICMP{}
}
