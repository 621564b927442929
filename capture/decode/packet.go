package decode

import (
	"net/netip"

	"github.com/rpcwatch/rpcwatch/dissect"
)

// Net is the network-layer protocol of a decoded packet.
type Net uint8

// Network-layer protocols.
const (
	NetNone Net = iota // no IP header decoded (ARP, LLC, unsupported ethertype, error)
	NetIPv4
	NetIPv6
)

var netNames = [...]string{NetNone: "none", NetIPv4: "ipv4", NetIPv6: "ipv6"}

// String returns "none", "ipv4" or "ipv6".
func (n Net) String() string {
	if int(n) < len(netNames) {
		return netNames[n]
	}
	return "net?"
}

// Proto says how far above IP the Decoder got.
type Proto uint8

// Transport-level outcomes.
const (
	ProtoNone     Proto = iota // no IP layer, or decoding stopped before the transport header
	ProtoTCP                   // TCP header decoded; ports, TCP and Payload are set
	ProtoUDP                   // UDP header decoded; ports and Payload are set
	ProtoICMPv4                // ICMPv4 header decoded; ICMP (and ICMP.Quoted for errors) is set
	ProtoICMPv6                // ICMPv6 header decoded; as ProtoICMPv4
	ProtoFragment              // an IPv4/IPv6 fragment (not an atomic one): Frag and Payload are set, ports are not
	ProtoOther                 // an IP protocol the Decoder does not look into; IPProto says which
)

var protoNames = [...]string{
	ProtoNone: "none", ProtoTCP: "tcp", ProtoUDP: "udp", ProtoICMPv4: "icmp",
	ProtoICMPv6: "icmpv6", ProtoFragment: "fragment", ProtoOther: "other",
}

// String returns the lowercase name of p.
func (p Proto) String() string {
	if int(p) < len(protoNames) {
		return protoNames[p]
	}
	return "proto?"
}

// TCPFlags holds the TCP control bits:
//
//	header byte 12      byte 13
//	 . . . . . . . NS   CWR ECE URG ACK PSH RST SYN FIN
//	               bit8  7   6   5   4   3   2   1   0   (bit of TCPFlags)
type TCPFlags uint16

// TCP control bits as stored in TCPFlags.
const (
	FlagFIN TCPFlags = 1 << iota
	FlagSYN
	FlagRST
	FlagPSH
	FlagACK
	FlagURG
	FlagECE
	FlagCWR
	FlagNS
)

var flagNames = [...]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"}

// Has reports whether every bit of m is set in f.
func (f TCPFlags) Has(m TCPFlags) bool { return f&m == m }

// String renders the set bits as "SYN|ACK"; "0" when none is set. It
// allocates; use it for output, not on hot paths.
func (f TCPFlags) String() string {
	if f == 0 {
		return "0"
	}
	var b []byte
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			if len(b) > 0 {
				b = append(b, '|')
			}
			b = append(b, n...)
		}
	}
	return string(b)
}

// TCPHeader holds the TCP fields the stream tracker needs.
type TCPHeader struct {
	Seq, Ack uint32
	Flags    TCPFlags
	Window   uint16
}

// Frag describes an IP fragment. It is set (Packet.Proto == ProtoFragment)
// only for real fragments: an IPv4 packet with MF set or a non-zero offset,
// or an IPv6 fragment header with either. Atomic IPv6 fragments (offset 0,
// M clear) are decoded through as whole packets.
type Frag struct {
	ID     uint32 // IPv4 Identification (16 bits) or IPv6 fragment Identification
	Offset int    // byte offset of this fragment's data in the original payload
	More   bool   // more-fragments flag
}

// Quoted is the start of the datagram an ICMP error message quotes: enough
// to say which endpoint was refused or unreachable.
type Quoted struct {
	Valid     bool // an IP header of the right version was found in the quote
	Net       Net  // IP version of the quoted datagram
	Src, Dst  netip.Addr
	IPProto   uint8  // upper-layer protocol of the quoted datagram
	HasPorts  bool   // SrcPort/DstPort were read (TCP, UDP, SCTP, DCCP, UDP-Lite; first fragment only)
	SrcPort   uint16 // source port of the quoted datagram (the sender of the refused datagram)
	DstPort   uint16 // destination port of the quoted datagram (the refused endpoint)
	Fragment  bool   // the quoted datagram was a non-first fragment (no ports in it)
	Truncated bool   // the quote ended inside the IP header or before the ports
}

// ICMP holds an ICMPv4 or ICMPv6 message's type and code and, for error
// messages (v4 types 3, 4, 5, 11, 12; v6 types 1, 2, 3, 4), the quoted
// datagram.
type ICMP struct {
	Type, Code uint8
	Quoted     Quoted
}

// MaxVLANTags bounds the 802.1Q/802.1ad tags decoded in one Ethernet or
// cooked frame; a frame with more is rejected with ErrMalformed.
const MaxVLANTags = 4

// Packet is the flat result of decoding one frame. Decode resets every
// field first. Payload aliases the frame passed to Decode and is valid only
// as long as that frame is (for a Source: until its next Next call);
// everything else is a value copy.
type Packet struct {
	LinkType LinkType
	// VLAN holds the VLAN IDs of the 802.1Q/802.1ad tags, outermost first;
	// NumVLAN says how many are valid.
	VLAN    [MaxVLANTags]uint16
	NumVLAN uint8
	// PktType is the Linux cooked-capture packet type (0 to us, 1 broadcast,
	// 2 multicast, 3 to another host, 4 sent by us); 0 for other links.
	PktType uint8
	// IfIndex is the interface index from a LINUX_SLL2 header; 0 otherwise.
	IfIndex uint32

	Net      Net
	Src, Dst netip.Addr
	HopLimit uint8 // IPv4 TTL or IPv6 hop limit
	// IPProto is the upper-layer protocol number: the IPv4 protocol, or the
	// next header after the IPv6 extension headers the Decoder walked.
	IPProto uint8
	Frag    Frag // valid when Proto == ProtoFragment

	Proto            Proto
	SrcPort, DstPort uint16
	TCP              TCPHeader // valid when Proto == ProtoTCP
	ICMP             ICMP      // valid when Proto is ProtoICMPv4 or ProtoICMPv6

	// Payload is the transport payload (TCP/UDP data, ICMP body, fragment
	// data, or the IP payload for ProtoOther). PayloadLen is the length the
	// headers declare; it exceeds len(Payload) when the frame was cut by the
	// capture's snap length.
	Payload    []byte
	PayloadLen int

	// Truncated is set when a declared length ran past the captured bytes:
	// either Decode returned ErrTruncated (a header was cut) or only the
	// payload is short (Decode returned nil).
	Truncated bool

	// Anomalies lists structural problems with byte offsets from the start
	// of the frame.
	Anomalies dissect.Anomalies
}

// Unreachable reports whether p is an ICMPv4 destination unreachable (type
// 3) or an ICMPv6 destination unreachable (type 1) message.
func (p *Packet) Unreachable() bool {
	return (p.Proto == ProtoICMPv4 && p.ICMP.Type == 3) || (p.Proto == ProtoICMPv6 && p.ICMP.Type == 1)
}

// PortUnreachable reports whether p is an ICMPv4 port unreachable (3/3) or
// an ICMPv6 port unreachable (1/4) message.
func (p *Packet) PortUnreachable() bool {
	return (p.Proto == ProtoICMPv4 && p.ICMP.Type == 3 && p.ICMP.Code == 3) ||
		(p.Proto == ProtoICMPv6 && p.ICMP.Type == 1 && p.ICMP.Code == 4)
}
