package decode

import (
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/rpcwatch/rpcwatch/dissect"
)

// Decoder decodes frames into Packets with one gopacket.DecodingLayerParser
// per link type, created on first use and kept in a small array. All
// parsers share one set of DecodingLayers, so a Decoder holds the state of
// the last frame only. A Decoder is not safe for concurrent use: give each
// worker its own.
type Decoder struct {
	parsers [numKinds]*gopacket.DecodingLayerParser
	dlc     gopacket.DecodingLayerContainer
	decoded []gopacket.LayerType

	eth     ethernetLayer
	vlan    vlanLayer
	sll     sllLayer
	sll2    sll2Layer
	loop    loopLayer
	raw     rawLayer
	ip4     ipv4Layer
	ip6     ipv6Layer
	ext     extLayer
	frag    fragLayer
	tcp     tcpLayer
	udp     udpLayer
	icmp4   icmp4Layer
	icmp6   icmp6Layer
	payload gopacket.Payload

	// Per-frame state, reset by Decode.
	frame     []byte
	anoms     dissect.Anomalies
	vlans     [MaxVLANTags]uint16
	nvlan     uint8
	nExt      int
	trunc     bool               // a declared length ran past the captured bytes
	ipDeclEnd int                // frame offset at which the IP datagram ends as declared
	l3next    uint8              // next header after the last IP-level header decoded
	l3payload []byte             // payload of the last IP-level header decoded
	linkNext  gopacket.LayerType // layer the last link-level header announced
	linkRest  []byte             // payload of the last link-level header

	layeredOnly bool // tests: never take the fast path
}

// NewDecoder returns a Decoder. Construction allocates; Decode does not.
func NewDecoder() *Decoder {
	d := &Decoder{decoded: make([]gopacket.LayerType, 0, 32)}
	d.eth.d, d.vlan.d, d.sll.d, d.sll2.d, d.loop.d, d.raw.d = d, d, d, d, d, d
	d.ip4.d, d.ip6.d, d.ext.d, d.frag.d = d, d, d, d
	d.tcp.d, d.udp.d, d.icmp4.d, d.icmp6.d = d, d, d, d
	var dlc gopacket.DecodingLayerContainer = gopacket.DecodingLayerSparse(nil)
	for _, l := range []gopacket.DecodingLayer{
		&d.eth, &d.vlan, &d.sll, &d.sll2, &d.loop, &d.raw,
		&d.ip4, &d.ip6, &d.ext, &d.frag,
		&d.tcp, &d.udp, &d.icmp4, &d.icmp6, &d.payload,
	} {
		dlc = dlc.Put(l)
	}
	d.dlc = dlc
	return d
}

var firstLayer = [numKinds]gopacket.LayerType{
	kindEthernet: layers.LayerTypeEthernet,
	kindSLL:      layers.LayerTypeLinuxSLL,
	kindSLL2:     LayerTypeLinuxSLL2,
	kindNull:     layers.LayerTypeLoopback,
	kindLoop:     layers.LayerTypeLoopback,
	kindRaw:      LayerTypeRawIP,
	kindIPv4:     layers.LayerTypeIPv4,
	kindIPv6:     layers.LayerTypeIPv6,
}

func (d *Decoder) parser(k linkKind) *gopacket.DecodingLayerParser {
	if p := d.parsers[k]; p != nil {
		return p
	}
	p := gopacket.NewDecodingLayerParser(firstLayer[k])
	p.SetDecodingLayerContainer(d.dlc)
	p.IgnoreUnsupported = true
	d.parsers[k] = p
	return p
}

// off is the offset of b in the current frame. Every slice the layers see
// is a sub-slice of the frame sharing its end of capacity, so the
// difference of capacities is the start offset.
func (d *Decoder) off(b []byte) int { return cap(d.frame) - cap(b) }

// truncated records that data is shorter than the need bytes a header
// requires and returns ErrTruncated.
func (d *Decoder) truncated(df gopacket.DecodeFeedback, data []byte, need int) error {
	df.SetTruncated()
	d.trunc = true
	d.anoms.Add(dissect.AnomTruncated, d.off(data), uint32(need), uint32(len(data)))
	return ErrTruncated
}

// Decode decodes one frame of link type lt into p, which it resets first.
// It returns nil when every header present was decoded (non-IP frames
// included: p.Net is then NetNone), ErrLinkType for a link type the Decoder
// does not support, ErrTruncated when a header was cut by the snap length,
// and ErrMalformed for an inconsistent header. On error p holds what was
// decoded before the failing header, and p.Anomalies says where it failed.
// p.Payload aliases frame.
func (d *Decoder) Decode(lt LinkType, frame []byte, p *Packet) error {
	if !d.layeredOnly && d.fast(lt, frame, p) {
		return nil
	}
	return d.decodeLayers(lt, frame, p)
}

// decodeLayers is Decode through the DecodingLayerParser: every link type,
// tag, extension header and anomaly.
func (d *Decoder) decodeLayers(lt LinkType, frame []byte, p *Packet) error {
	*p = Packet{LinkType: lt}
	k := kindOf(lt)
	if k == kindNone {
		return ErrLinkType
	}
	d.frame = frame[:len(frame):len(frame)]
	d.anoms.Reset()
	d.vlans, d.nvlan, d.nExt, d.trunc = [MaxVLANTags]uint16{}, 0, 0, false
	d.ipDeclEnd, d.l3next, d.l3payload = 0, 0, nil
	d.linkNext, d.linkRest = gopacket.LayerTypeZero, nil
	d.loop.network = k == kindLoop
	parser := d.parser(k)
	err := parser.DecodeLayers(d.frame, &d.decoded)
	if err != nil && err != ErrTruncated && err != ErrMalformed {
		// An error built by a gopacket layer (or a recovered panic).
		if parser.Truncated {
			err = ErrTruncated
		} else {
			err = ErrMalformed
		}
	}
	d.fill(p)
	if err == nil && p.Net == NetNone && d.linkNext != gopacket.LayerTypeZero && len(d.linkRest) == 0 {
		// The frame ends right after a link header that announced IP or
		// another VLAN tag (gopacket's parser stops on an empty payload).
		err = d.truncated(gopacket.NilDecodeFeedback, d.linkRest, 1)
	}
	if err == nil && p.Net != NetNone && p.Proto == ProtoNone {
		err = d.noTransport(p)
	}
	p.Truncated = d.trunc || p.PayloadLen > len(p.Payload)
	p.Anomalies = d.anoms
	d.frame = nil
	return err
}

// linkDone records what a link-level header announced and what follows it.
func (d *Decoder) linkDone(next gopacket.LayerType, rest []byte) {
	d.linkNext, d.linkRest = next, rest
}

// fill copies the decoded layers' fields into p.
func (d *Decoder) fill(p *Packet) {
	p.VLAN = d.vlans
	p.NumVLAN = d.nvlan
	for _, t := range d.decoded {
		switch t {
		case layers.LayerTypeLinuxSLL:
			p.PktType = uint8(d.sll.PacketType)
		case LayerTypeLinuxSLL2:
			p.PktType = d.sll2.PacketType
			p.IfIndex = d.sll2.InterfaceIndex
			if d.sll2.Reserved != 0 {
				d.anoms.Add(dissect.AnomBadValue, 2, uint32(d.sll2.Reserved), 0)
			}
		case layers.LayerTypeIPv4:
			ip := &d.ip4
			p.Net = NetIPv4
			p.Src = netip.AddrFrom4([4]byte(ip.SrcIP))
			p.Dst = netip.AddrFrom4([4]byte(ip.DstIP))
			p.HopLimit = ip.TTL
			if ip.fragment() {
				p.Proto = ProtoFragment
				p.Frag = Frag{ID: uint32(ip.Id), Offset: int(ip.FragOffset) * 8, More: ip.Flags&layers.IPv4MoreFragments != 0}
				d.setPayload(p, ip.Payload)
			}
		case layers.LayerTypeIPv6:
			ip := &d.ip6
			p.Net = NetIPv6
			p.Src = netip.AddrFrom16([16]byte(ip.SrcIP))
			p.Dst = netip.AddrFrom16([16]byte(ip.DstIP))
			p.HopLimit = ip.HopLimit
		case layers.LayerTypeIPv6Fragment:
			f := &d.frag
			if f.fragment() {
				p.Proto = ProtoFragment
				p.Frag = Frag{ID: f.ID, Offset: f.Offset, More: f.More}
				d.setPayload(p, f.Payload)
			}
		case layers.LayerTypeTCP:
			t := &d.tcp
			p.Proto = ProtoTCP
			p.SrcPort, p.DstPort = t.SrcPort, t.DstPort
			p.TCP = TCPHeader{Seq: t.Seq, Ack: t.Ack, Flags: t.Flags, Window: t.Window}
			d.setPayload(p, t.Payload)
		case layers.LayerTypeUDP:
			d.fillUDP(p)
		case layers.LayerTypeICMPv4:
			ic := &d.icmp4
			p.Proto = ProtoICMPv4
			p.ICMP.Type, p.ICMP.Code = ic.TypeCode.Type(), ic.TypeCode.Code()
			d.setPayload(p, ic.Payload)
			if icmp4Quotes(p.ICMP.Type) {
				quoted4(ic.Payload, &p.ICMP.Quoted)
			}
		case layers.LayerTypeICMPv6:
			ic := &d.icmp6
			p.Proto = ProtoICMPv6
			p.ICMP.Type, p.ICMP.Code = ic.TypeCode.Type(), ic.TypeCode.Code()
			// gopacket's payload starts after the 4-byte type/code/checksum;
			// every ICMPv6 message has 4 more fixed bytes before its body.
			body := ic.Payload
			if len(body) >= 4 {
				body = body[4:]
			} else {
				d.anoms.Add(dissect.AnomTruncated, d.off(body), 8, uint32(4+len(body)))
				body = body[len(body):]
			}
			d.setPayload(p, body)
			if icmp6Quotes(p.ICMP.Type) {
				quoted6(body, &p.ICMP.Quoted)
			}
		}
	}
	if p.Net != NetNone {
		p.IPProto = d.l3next
	}
}

// setPayload sets p.Payload and the declared length from the IP layer.
func (d *Decoder) setPayload(p *Packet, b []byte) {
	p.Payload = b
	p.PayloadLen = d.ipDeclEnd - d.off(b)
	if p.PayloadLen < len(b) {
		p.PayloadLen = len(b)
	}
}

// fillUDP sets the UDP fields and checks the UDP length against the IP
// payload length.
func (d *Decoder) fillUDP(p *Packet) {
	u := &d.udp
	p.Proto = ProtoUDP
	p.SrcPort, p.DstPort = uint16(u.SrcPort), uint16(u.DstPort)
	p.Payload = u.Payload
	start := d.off(u.Contents)
	ipAvail := d.ipDeclEnd - start
	ulen := int(u.Length)
	switch {
	case ulen == 0:
		p.PayloadLen = ipAvail - udpHdrLen
	case ulen > ipAvail:
		d.anoms.Add(dissect.AnomLengthMismatch, start+4, uint32(ulen), uint32(ipAvail))
		p.PayloadLen = ipAvail - udpHdrLen
		if len(p.Payload) > p.PayloadLen {
			p.Payload = p.Payload[:p.PayloadLen]
		}
	default:
		if ulen < ipAvail {
			// Offsets stay inside the frame even when the IP datagram
			// was cut before the trailing bytes.
			at := min(start+ulen, len(d.frame))
			d.anoms.Add(dissect.AnomTrailingBytes, at, uint32(ipAvail-ulen), uint32(ulen))
		}
		p.PayloadLen = ulen - udpHdrLen
	}
	if p.PayloadLen < len(p.Payload) {
		p.PayloadLen = len(p.Payload)
	}
}

// noTransport handles an IP packet whose transport header was not decoded
// although decoding succeeded: either the protocol is not one the Decoder
// follows (ProtoOther), or the IP payload that should hold a TCP, UDP or
// ICMP header is empty.
func (d *Decoder) noTransport(p *Packet) error {
	var want bool // the last IP-level header announced a header the Decoder follows
	if p.Net == NetIPv4 {
		want = ip4Next(p.IPProto) != gopacket.LayerTypeZero
	} else {
		want = ip6Next(p.IPProto) != gopacket.LayerTypeZero
	}
	pl := d.l3payload
	declared := d.ipDeclEnd - d.off(pl)
	if want && len(pl) == 0 {
		if declared > 0 {
			d.trunc = true
			d.anoms.Add(dissect.AnomTruncated, d.off(pl), uint32(declared), 0)
			return ErrTruncated
		}
		d.anoms.Add(dissect.AnomLengthMismatch, d.off(pl), 0, uint32(p.IPProto))
		return ErrMalformed
	}
	p.Proto = ProtoOther
	d.setPayload(p, pl)
	return nil
}

// DecodeTransport decodes b as the complete payload of an IP datagram of
// protocol proto between src and dst, such as one reassembled from
// fragments by package ipfrag. p is reset and gets Net, Src, Dst and
// IPProto from the arguments; LinkType is left zero. TCP, UDP, ICMPv4 (for
// NetIPv4) and ICMPv6 (for NetIPv6) are decoded as in Decode; any other
// protocol gives ProtoOther with b as the payload. p.Payload aliases b.
func (d *Decoder) DecodeTransport(net Net, src, dst netip.Addr, proto uint8, b []byte, p *Packet) error {
	*p = Packet{Net: net, Src: src, Dst: dst, IPProto: proto}
	d.frame = b[:len(b):len(b)]
	d.anoms.Reset()
	d.vlans, d.nvlan, d.nExt, d.trunc = [MaxVLANTags]uint16{}, 0, 0, false
	d.ipDeclEnd, d.l3next, d.l3payload = len(b), proto, d.frame
	d.decoded = d.decoded[:0]
	var (
		l   gopacket.DecodingLayer
		typ gopacket.LayerType
	)
	switch {
	case proto == protoTCP:
		l, typ = &d.tcp, layers.LayerTypeTCP
	case proto == protoUDP:
		l, typ = &d.udp, layers.LayerTypeUDP
	case proto == protoICMPv4 && net == NetIPv4:
		l, typ = &d.icmp4, layers.LayerTypeICMPv4
	case proto == protoICMPv6 && net == NetIPv6:
		l, typ = &d.icmp6, layers.LayerTypeICMPv6
	}
	var err error
	if l != nil {
		if err = l.DecodeFromBytes(d.frame, gopacket.NilDecodeFeedback); err == nil {
			d.decoded = append(d.decoded, typ)
		}
	}
	d.fill(p)
	p.Net, p.Src, p.Dst, p.IPProto = net, src, dst, proto
	if err == nil && p.Proto == ProtoNone {
		err = d.noTransport(p)
	}
	p.Truncated = d.trunc || p.PayloadLen > len(p.Payload)
	p.Anomalies = d.anoms
	d.frame = nil
	return err
}
