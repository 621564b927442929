package decode

import (
	"encoding/binary"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/rpcwatch/rpcwatch/dissect"
)

// IP protocol numbers the Decoder follows.
const (
	protoICMPv4    = 1
	protoTCP       = 6
	protoUDP       = 17
	protoIPv6Hop   = 0
	protoIPv6Route = 43
	protoIPv6Frag  = 44
	protoICMPv6    = 58
	protoIPv6Dest  = 60
	protoAH        = 51
	protoDCCP      = 33
	protoSCTP      = 132
	protoUDPLite   = 136
)

// ip4Next maps an IPv4 protocol number to the next layer; tunnels (IPIP,
// 6in4, GRE) and everything else end decoding.
func ip4Next(proto uint8) gopacket.LayerType {
	switch proto {
	case protoTCP:
		return layers.LayerTypeTCP
	case protoUDP:
		return layers.LayerTypeUDP
	case protoICMPv4:
		return layers.LayerTypeICMPv4
	}
	return gopacket.LayerTypeZero
}

// ip6Next maps an IPv6 next-header value to the next layer, including the
// extension headers the Decoder walks.
func ip6Next(nh uint8) gopacket.LayerType {
	switch nh {
	case protoTCP:
		return layers.LayerTypeTCP
	case protoUDP:
		return layers.LayerTypeUDP
	case protoICMPv6:
		return layers.LayerTypeICMPv6
	case protoIPv6Hop:
		return layers.LayerTypeIPv6HopByHop
	case protoIPv6Route:
		return layers.LayerTypeIPv6Routing
	case protoIPv6Dest:
		return layers.LayerTypeIPv6Destination
	case protoIPv6Frag:
		return layers.LayerTypeIPv6Fragment
	}
	return gopacket.LayerTypeZero
}

// ipv4Layer is gopacket's IPv4 behind pre-checks that turn every header
// error into a sentinel (no allocation) and record the declared end of the
// datagram. gopacket's only remaining error is a malformed option, which is
// recorded as an anomaly while decoding continues (the fixed header and the
// payload bounds are already set when it is reported).
type ipv4Layer struct {
	layers.IPv4
	d *Decoder
}

func (l *ipv4Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	d := l.d
	if len(data) < ipv4MinHdrLen {
		return d.truncated(df, data, ipv4MinHdrLen)
	}
	start := d.off(data)
	if v := data[0] >> 4; v != 4 {
		d.anoms.Add(dissect.AnomBadValue, start, uint32(v), 4)
		return ErrMalformed
	}
	ihl := int(data[0]&0x0f) * 4
	if ihl < ipv4MinHdrLen {
		d.anoms.Add(dissect.AnomBadValue, start, uint32(ihl), ipv4MinHdrLen)
		return ErrMalformed
	}
	total := int(binary.BigEndian.Uint16(data[2:4]))
	if total == 0 {
		// Segmentation offload on the capturing host leaves 0 here; the
		// captured length is the best there is (gopacket does the same).
		total = len(data)
	}
	if total < ihl {
		d.anoms.Add(dissect.AnomLengthMismatch, start+2, uint32(total), uint32(ihl))
		return ErrMalformed
	}
	if ihl > len(data) {
		return d.truncated(df, data, ihl)
	}
	if err := l.IPv4.DecodeFromBytes(data, df); err != nil {
		d.anoms.Add(dissect.AnomBadValue, start+ipv4MinHdrLen, uint32(ihl), 0)
	}
	if total > len(data) {
		d.anoms.Add(dissect.AnomTruncated, start, uint32(total), uint32(len(data)))
		d.trunc = true
	}
	d.ipDeclEnd = start + total
	d.l3next = uint8(l.Protocol)
	d.l3payload = l.Payload
	return nil
}

func (l *ipv4Layer) fragment() bool {
	return l.Flags&layers.IPv4MoreFragments != 0 || l.FragOffset != 0
}

func (l *ipv4Layer) NextLayerType() gopacket.LayerType {
	if l.fragment() {
		return gopacket.LayerTypeZero
	}
	return ip4Next(uint8(l.Protocol))
}

// ipv6Layer decodes the fixed IPv6 header into gopacket's IPv6 struct
// without gopacket's own DecodeFromBytes, which parses a hop-by-hop header
// inline and allocates one object per option; here hop-by-hop is an
// extension header like the others. A payload length of 0 (jumbogram or
// offloaded "big TCP" on the capturing host) takes the captured bytes.
type ipv6Layer struct {
	layers.IPv6
	d *Decoder
}

func (l *ipv6Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	d := l.d
	if len(data) < ipv6HdrLen {
		return d.truncated(df, data, ipv6HdrLen)
	}
	start := d.off(data)
	if v := data[0] >> 4; v != 6 {
		d.anoms.Add(dissect.AnomBadValue, start, uint32(v), 6)
		return ErrMalformed
	}
	l.Version = 6
	l.TrafficClass = uint8(binary.BigEndian.Uint16(data[0:2]) >> 4)
	l.FlowLabel = binary.BigEndian.Uint32(data[0:4]) & 0x000fffff
	l.Length = binary.BigEndian.Uint16(data[4:6])
	l.NextHeader = layers.IPProtocol(data[6])
	l.HopLimit = data[7]
	l.SrcIP = data[8:24]
	l.DstIP = data[24:40]
	l.HopByHop = nil
	plen := int(l.Length)
	avail := len(data) - ipv6HdrLen
	if plen == 0 {
		plen = avail
	}
	d.ipDeclEnd = start + ipv6HdrLen + plen
	if plen > avail {
		d.anoms.Add(dissect.AnomTruncated, start, uint32(ipv6HdrLen+plen), uint32(len(data)))
		d.trunc = true
		plen = avail
	}
	l.BaseLayer = layers.BaseLayer{Contents: data[:ipv6HdrLen], Payload: data[ipv6HdrLen : ipv6HdrLen+plen]}
	d.l3next = data[6]
	d.l3payload = l.Payload
	return nil
}

func (l *ipv6Layer) NextLayerType() gopacket.LayerType { return ip6Next(uint8(l.NextHeader)) }

// ipv6ExtClass is the set of IPv6 extension headers extLayer skips.
var ipv6ExtClass = gopacket.NewLayerClass([]gopacket.LayerType{
	layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination,
})

// extLayer skips a hop-by-hop, routing or destination-options header
// (length in 8-octet units, not counting the first 8). At most
// maxIPv6ExtHeaders extension and fragment headers are walked per packet.
type extLayer struct {
	layers.BaseLayer
	NextHeader uint8
	d          *Decoder
}

func (l *extLayer) CanDecode() gopacket.LayerClass    { return ipv6ExtClass }
func (l *extLayer) NextLayerType() gopacket.LayerType { return ip6Next(l.NextHeader) }

func (l *extLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	d := l.d
	if d.nExt >= maxIPv6ExtHeaders {
		d.anoms.Add(dissect.AnomLimit, d.off(data), maxIPv6ExtHeaders+1, maxIPv6ExtHeaders)
		return ErrMalformed
	}
	if len(data) < 2 {
		return d.truncated(df, data, 2)
	}
	n := (int(data[1]) + 1) * 8
	if n > len(data) {
		return d.truncated(df, data, n)
	}
	d.nExt++
	l.NextHeader = data[0]
	l.BaseLayer = layers.BaseLayer{Contents: data[:n], Payload: data[n:]}
	d.l3next = l.NextHeader
	d.l3payload = l.Payload
	return nil
}

// fragLayer decodes the IPv6 fragment header (gopacket v1.1.19 has no
// DecodingLayer for it):
//
//	byte 0: next header   byte 1: reserved
//	bytes 2-3: fragment offset (13 bits, 8-octet units) | res (2) | M (1)
//	bytes 4-7: identification
//
// An atomic fragment (offset 0, M clear) decodes through to the next
// header; a real fragment ends decoding.
type fragLayer struct {
	layers.BaseLayer
	NextHeader uint8
	Offset     int // in bytes
	More       bool
	ID         uint32
	d          *Decoder
}

func (l *fragLayer) CanDecode() gopacket.LayerClass { return layers.LayerTypeIPv6Fragment }

func (l *fragLayer) fragment() bool { return l.Offset != 0 || l.More }

func (l *fragLayer) NextLayerType() gopacket.LayerType {
	if l.fragment() {
		return gopacket.LayerTypeZero
	}
	return ip6Next(l.NextHeader)
}

func (l *fragLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	d := l.d
	if d.nExt >= maxIPv6ExtHeaders {
		d.anoms.Add(dissect.AnomLimit, d.off(data), maxIPv6ExtHeaders+1, maxIPv6ExtHeaders)
		return ErrMalformed
	}
	if len(data) < 8 {
		return d.truncated(df, data, 8)
	}
	d.nExt++
	l.NextHeader = data[0]
	v := binary.BigEndian.Uint16(data[2:4])
	l.Offset = int(v>>3) * 8
	l.More = v&1 != 0
	l.ID = binary.BigEndian.Uint32(data[4:8])
	l.BaseLayer = layers.BaseLayer{Contents: data[:8], Payload: data[8:]}
	d.l3next = l.NextHeader
	d.l3payload = l.Payload
	return nil
}

// tcpLayer decodes the fixed TCP header. Options are not parsed (the
// watchdog needs none, and gopacket rejects a whole segment over one bad
// option); the data offset only locates the payload.
type tcpLayer struct {
	layers.BaseLayer
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	Flags            TCPFlags
	Window           uint16
	d                *Decoder
}

func (l *tcpLayer) CanDecode() gopacket.LayerClass    { return layers.LayerTypeTCP }
func (l *tcpLayer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypePayload }

func (l *tcpLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	d := l.d
	if len(data) < tcpMinHdrLen {
		return d.truncated(df, data, tcpMinHdrLen)
	}
	doff := int(data[12]>>4) * 4
	if doff < tcpMinHdrLen {
		d.anoms.Add(dissect.AnomBadValue, d.off(data)+12, uint32(doff), tcpMinHdrLen)
		return ErrMalformed
	}
	if doff > len(data) {
		return d.truncated(df, data, doff)
	}
	l.SrcPort = binary.BigEndian.Uint16(data[0:2])
	l.DstPort = binary.BigEndian.Uint16(data[2:4])
	l.Seq = binary.BigEndian.Uint32(data[4:8])
	l.Ack = binary.BigEndian.Uint32(data[8:12])
	l.Flags = TCPFlags(data[13]) | TCPFlags(data[12]&1)<<8
	l.Window = binary.BigEndian.Uint16(data[14:16])
	l.BaseLayer = layers.BaseLayer{Contents: data[:doff], Payload: data[doff:]}
	return nil
}

// udpLayer is gopacket's UDP behind pre-checks (short header, length field
// 1..7) so that it never returns an allocated error.
type udpLayer struct {
	layers.UDP
	d *Decoder
}

func (l *udpLayer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypePayload }

func (l *udpLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	d := l.d
	if len(data) < udpHdrLen {
		return d.truncated(df, data, udpHdrLen)
	}
	if n := binary.BigEndian.Uint16(data[4:6]); n != 0 && n < udpHdrLen {
		d.anoms.Add(dissect.AnomBadValue, d.off(data)+4, uint32(n), udpHdrLen)
		return ErrMalformed
	}
	return l.UDP.DecodeFromBytes(data, df)
}

// icmp4Layer is gopacket's ICMPv4 behind a length pre-check.
type icmp4Layer struct {
	layers.ICMPv4
	d *Decoder
}

func (l *icmp4Layer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypePayload }

func (l *icmp4Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < icmpHdrLen {
		return l.d.truncated(df, data, icmpHdrLen)
	}
	return l.ICMPv4.DecodeFromBytes(data, df)
}

// icmp6Layer is gopacket's ICMPv6 behind a length pre-check; its
// NextLayerType does not descend into neighbor-discovery layers.
type icmp6Layer struct {
	layers.ICMPv6
	d *Decoder
}

func (l *icmp6Layer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypePayload }

func (l *icmp6Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 4 {
		return l.d.truncated(df, data, 4)
	}
	return l.ICMPv6.DecodeFromBytes(data, df)
}
