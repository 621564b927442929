package decode

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Addresses and ports used by every sample.
var (
	src4 = netip.MustParseAddr("192.0.2.10")
	dst4 = netip.MustParseAddr("198.51.100.20")
	src6 = netip.MustParseAddr("2001:db8::10")
	dst6 = netip.MustParseAddr("2001:db8:1::20")
	// The datagram a port unreachable quotes: client 49152 -> server 135.
	qsrc4 = netip.MustParseAddr("198.51.100.20")
	qdst4 = netip.MustParseAddr("192.0.2.10")
	qsrc6 = netip.MustParseAddr("2001:db8:1::20")
	qdst6 = netip.MustParseAddr("2001:db8::10")
)

const (
	srcPort   = 49712
	dstPort   = 135
	tcpSeq    = 0x01020304
	tcpAck    = 0xa0b0c0d0
	tcpWindow = 8192
	hopLimit  = 61
)

var appData = []byte("\x05\x00\x0b\x03\x10\x00\x00\x00rpc bind")

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// ipPacket builds an IPv4 or IPv6 packet carrying l4 ("tcp", "udp" or
// "icmp" = port unreachable quoting a UDP datagram) and returns its bytes
// with the Packet fields the Decoder must produce (link fields unset).
func ipPacket(t testing.TB, v6 bool, l4 string) ([]byte, Packet) {
	t.Helper()
	var want Packet
	var ipl gopacket.SerializableLayer
	var nl gopacket.NetworkLayer
	want.HopLimit = hopLimit
	if v6 {
		ip := &layers.IPv6{Version: 6, HopLimit: hopLimit, SrcIP: src6.AsSlice(), DstIP: dst6.AsSlice()}
		ipl, nl = ip, ip
		want.Net, want.Src, want.Dst = NetIPv6, src6, dst6
		switch l4 {
		case "tcp":
			ip.NextHeader = layers.IPProtocolTCP
		case "udp":
			ip.NextHeader = layers.IPProtocolUDP
		default:
			ip.NextHeader = layers.IPProtocolICMPv6
		}
		want.IPProto = uint8(ip.NextHeader)
	} else {
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: hopLimit, Id: 0x1234, Flags: layers.IPv4DontFragment,
			SrcIP: src4.AsSlice(), DstIP: dst4.AsSlice()}
		ipl, nl = ip, ip
		want.Net, want.Src, want.Dst = NetIPv4, src4, dst4
		switch l4 {
		case "tcp":
			ip.Protocol = layers.IPProtocolTCP
		case "udp":
			ip.Protocol = layers.IPProtocolUDP
		default:
			ip.Protocol = layers.IPProtocolICMPv4
		}
		want.IPProto = uint8(ip.Protocol)
	}
	var b []byte
	switch l4 {
	case "tcp":
		tcp := &layers.TCP{SrcPort: srcPort, DstPort: dstPort, Seq: tcpSeq, Ack: tcpAck, PSH: true, ACK: true, Window: tcpWindow,
			// Options make the data offset non-minimal.
			Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindNop}, {OptionType: layers.TCPOptionKindNop},
				{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: make([]byte, 8)}}}
		tcp.SetNetworkLayerForChecksum(nl)
		b = serialize(t, ipl, tcp, gopacket.Payload(appData))
		want.Proto = ProtoTCP
		want.SrcPort, want.DstPort = srcPort, dstPort
		want.TCP = TCPHeader{Seq: tcpSeq, Ack: tcpAck, Flags: FlagPSH | FlagACK, Window: tcpWindow}
		want.Payload, want.PayloadLen = appData, len(appData)
	case "udp":
		udp := &layers.UDP{SrcPort: srcPort, DstPort: dstPort}
		udp.SetNetworkLayerForChecksum(nl)
		b = serialize(t, ipl, udp, gopacket.Payload(appData))
		want.Proto = ProtoUDP
		want.SrcPort, want.DstPort = srcPort, dstPort
		want.Payload, want.PayloadLen = appData, len(appData)
	default:
		quote := quotedUDP(t, v6)
		if v6 {
			body := append(make([]byte, 4), quote...) // 4 unused bytes, then the quote
			ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(1, 4)}
			ic.SetNetworkLayerForChecksum(nl)
			b = serialize(t, ipl, ic, gopacket.Payload(body))
			want.Proto = ProtoICMPv6
			want.ICMP = ICMP{Type: 1, Code: 4, Quoted: Quoted{Valid: true, Net: NetIPv6, Src: qsrc6, Dst: qdst6,
				IPProto: 17, HasPorts: true, SrcPort: 49152, DstPort: 135}}
		} else {
			ic := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}
			b = serialize(t, ipl, ic, gopacket.Payload(quote))
			want.Proto = ProtoICMPv4
			want.ICMP = ICMP{Type: 3, Code: 3, Quoted: Quoted{Valid: true, Net: NetIPv4, Src: qsrc4, Dst: qdst4,
				IPProto: 17, HasPorts: true, SrcPort: 49152, DstPort: 135}}
		}
		want.Payload, want.PayloadLen = quote, len(quote)
	}
	return b, want
}

// quotedUDP is the start of a UDP datagram 49152 -> 135 as an ICMP error
// quotes it (IP header plus 8 bytes of UDP header and 4 payload bytes).
func quotedUDP(t testing.TB, v6 bool) []byte {
	var ipl gopacket.SerializableLayer
	udp := &layers.UDP{SrcPort: 49152, DstPort: 135}
	if v6 {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: qsrc6.AsSlice(), DstIP: qdst6.AsSlice()}
		udp.SetNetworkLayerForChecksum(ip)
		ipl = ip
	} else {
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: qsrc4.AsSlice(), DstIP: qdst4.AsSlice()}
		udp.SetNetworkLayerForChecksum(ip)
		ipl = ip
	}
	return serialize(t, ipl, udp, gopacket.Payload([]byte{4, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}))
}

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0a}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0b}
)

// link names the framings the samples use.
var linkNames = []string{"ether", "vlan", "qinq", "q9100", "sll", "sll2", "null-le", "null-be", "loop", "raw", "raw12", "raw14", "ipv4", "ipv6"}

// frame wraps an IP packet in the named link framing and sets the link
// fields of want. It returns ok=false for combinations that do not exist
// (raw IPv4 link with an IPv6 packet and the reverse).
func frame(t testing.TB, link string, v6 bool, ip []byte, want *Packet) ([]byte, bool) {
	t.Helper()
	et := layers.EthernetTypeIPv4
	if v6 {
		et = layers.EthernetTypeIPv6
	}
	switch link {
	case "ether":
		want.LinkType = LinkTypeEthernet
		return serialize(t, &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: et}, gopacket.Payload(ip)), true
	case "vlan":
		want.LinkType = LinkTypeEthernet
		want.VLAN[0], want.NumVLAN = 100, 1
		return serialize(t, &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 100, Priority: 3, Type: et}, gopacket.Payload(ip)), true
	case "qinq":
		want.LinkType = LinkTypeEthernet
		want.VLAN[0], want.VLAN[1], want.NumVLAN = 300, 100, 2
		return serialize(t, &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeQinQ},
			&layers.Dot1Q{VLANIdentifier: 300, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 100, Type: et}, gopacket.Payload(ip)), true
	case "q9100":
		want.LinkType = LinkTypeEthernet
		want.VLAN[0], want.VLAN[1], want.NumVLAN = 7, 4094, 2
		return serialize(t, &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: 0x9100},
			&layers.Dot1Q{VLANIdentifier: 7, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 4094, Type: et}, gopacket.Payload(ip)), true
	case "sll":
		want.LinkType = LinkTypeLinuxSLL
		want.PktType = 4
		h := make([]byte, 16)
		binary.BigEndian.PutUint16(h[0:], 4) // outgoing
		binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
		binary.BigEndian.PutUint16(h[4:], 6)
		copy(h[6:], macA)
		binary.BigEndian.PutUint16(h[14:], uint16(et))
		return append(h, ip...), true
	case "sll2":
		want.LinkType = LinkTypeLinuxSLL2
		want.PktType, want.IfIndex = 0, 3
		s := &SLL2{Protocol: et, InterfaceIndex: 3, ARPHRDType: 1, PacketType: 0, AddrLen: 6}
		copy(s.Addr[:], macA)
		return serialize(t, s, gopacket.Payload(ip)), true
	case "null-le", "null-be", "loop":
		fam := uint32(afInet)
		if v6 {
			fam = afInet6Darwin
			if link == "loop" {
				fam = afInet6BSD
			}
		}
		h := make([]byte, 4)
		want.LinkType = LinkTypeNull
		if link == "null-le" {
			binary.LittleEndian.PutUint32(h, fam)
		} else {
			binary.BigEndian.PutUint32(h, fam)
		}
		if link == "loop" {
			want.LinkType = LinkTypeLoop
		}
		return append(h, ip...), true
	case "raw", "raw12", "raw14":
		want.LinkType = map[string]LinkType{"raw": LinkTypeRaw, "raw12": LinkTypeRawDLT12, "raw14": LinkTypeRawDLT14}[link]
		return append([]byte(nil), ip...), true
	case "ipv4":
		want.LinkType = LinkTypeIPv4
		return append([]byte(nil), ip...), !v6
	case "ipv6":
		want.LinkType = LinkTypeIPv6
		return append([]byte(nil), ip...), v6
	}
	t.Fatalf("unknown link %q", link)
	return nil, false
}

type sample struct {
	name  string
	lt    LinkType
	frame []byte
	want  Packet
	ipLen int // bytes of link header + IP datagram (the rest is padding)
}

// samples returns every link × IPv4/IPv6 × TCP/UDP/ICMP combination.
func samples(t testing.TB) []sample {
	var out []sample
	for _, link := range linkNames {
		for _, v6 := range []bool{false, true} {
			for _, l4 := range []string{"tcp", "udp", "icmp"} {
				ip, want := ipPacket(t, v6, l4)
				f, ok := frame(t, link, v6, ip, &want)
				if !ok {
					continue
				}
				name := link + "/ipv4/" + l4
				if v6 {
					name = link + "/ipv6/" + l4
				}
				hdr := len(f) - len(ip)
				if link == "ether" || link == "vlan" || link == "qinq" || link == "q9100" {
					hdr = bytesIndex(f, ip)
				}
				out = append(out, sample{name: name, lt: want.LinkType, frame: f, want: want, ipLen: hdr + len(ip)})
			}
		}
	}
	return out
}

func bytesIndex(f, ip []byte) int {
	for i := 0; i+len(ip) <= len(f); i++ {
		if string(f[i:i+len(ip)]) == string(ip) {
			return i
		}
	}
	return -1
}
