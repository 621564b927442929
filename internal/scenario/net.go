package scenario

import (
	"encoding/binary"
	"hash/fnv"
	"net"
	"net/netip"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Timing of generated traffic. Every frame advances the clock: a frame a
// host sends in reply to what it just received comes after replyGap (a
// server's processing plus the wire), any other frame after sendGap.
// Think times and the restart gap are explicit waits.
const (
	sendGap  = 110 * time.Microsecond
	replyGap = 380 * time.Microsecond
)

// mss is the maximum segment size both ends announce; PDUs larger than it
// are cut into full segments.
const mss = 1460

// window is the receive window every segment advertises.
const window = 65535

// routerMAC is the gateway's MAC address: frames to or from hosts outside
// the capture's local prefix carry it.
var routerMAC = net.HardwareAddr{0x00, 0x00, 0x0c, 0x07, 0xac, 0x01}

// trace accumulates the frames of one scenario on a deterministic clock.
// It is seen from a span port on the local prefix: hosts outside it are
// reached through the router.
type trace struct {
	frames []Frame
	now    time.Time
	local  netip.Prefix
	ipid   map[netip.Addr]uint16
	ports  map[netip.Addr]uint16
}

func newTrace(start time.Time, local netip.Prefix, ephemeral map[netip.Addr]uint16) *trace {
	ports := make(map[netip.Addr]uint16, len(ephemeral))
	for a, p := range ephemeral {
		ports[a] = p
	}
	return &trace{now: start, local: local, ipid: map[netip.Addr]uint16{}, ports: ports}
}

// next returns the frame number the next emitted frame will have.
func (c *trace) next() int { return len(c.frames) + 1 }

// wait advances the clock by d (think time, a restart).
func (c *trace) wait(d time.Duration) { c.now = c.now.Add(d) }

// emit appends a frame after gap and returns its 1-based number.
func (c *trace) emit(gap time.Duration, data []byte, note string) int {
	c.now = c.now.Add(gap)
	c.frames = append(c.frames, Frame{Time: c.now, Data: data, Note: note})
	return len(c.frames)
}

// ephemeral returns the next client port of host a.
func (c *trace) ephemeral(a netip.Addr) uint16 {
	p := c.ports[a]
	if p == 0 {
		p = 49800
	}
	c.ports[a] = p + 1
	return p
}

// mac returns the MAC address frames to or from a carry on the captured
// segment: the host's own (02:00 followed by its IPv4 address, a locally
// administered address) on the local prefix, the router's otherwise.
func (c *trace) mac(a netip.Addr) net.HardwareAddr {
	if !c.local.Contains(a) {
		return routerMAC
	}
	b := a.As4()
	return net.HardwareAddr{0x02, 0x00, b[0], b[1], b[2], b[3]}
}

// ttl is what a packet from a carries as seen on the segment: 128 (Windows)
// minus one hop for hosts behind the router.
func (c *trace) ttl(a netip.Addr) uint8 {
	if c.local.Contains(a) {
		return 128
	}
	return 127
}

// ipv4 returns the IPv4 header of a packet from src to dst: per-host
// incrementing identification, DF for TCP (path MTU discovery).
func (c *trace) ipv4(src, dst netip.Addr, proto layers.IPProtocol) *layers.IPv4 {
	id, ok := c.ipid[src]
	if !ok {
		id = uint16(hash32(src.String()))
	}
	c.ipid[src] = id + 1
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: c.ttl(src), Protocol: proto, Id: id,
		SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	if proto == layers.IPProtocolTCP {
		ip.Flags = layers.IPv4DontFragment
	}
	return ip
}

// serialize builds an Ethernet frame from src to dst around the layers
// given (lengths and checksums computed).
func (c *trace) serialize(src, dst netip.Addr, ls ...gopacket.SerializableLayer) []byte {
	eth := &layers.Ethernet{SrcMAC: c.mac(src), DstMAC: c.mac(dst), EthernetType: layers.EthernetTypeIPv4}
	buf := gopacket.NewSerializeBuffer()
	all := append([]gopacket.SerializableLayer{eth}, ls...)
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, all...); err != nil {
		panic("scenario: serialize: " + err.Error()) // only fixed, valid layers are built here
	}
	return append([]byte(nil), buf.Bytes()...)
}

// udp emits a UDP datagram.
func (c *trace) udp(gap time.Duration, src, dst netip.AddrPort, payload []byte, note string) int {
	ip := c.ipv4(src.Addr(), dst.Addr(), layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	if err := u.SetNetworkLayerForChecksum(ip); err != nil {
		panic(err)
	}
	return c.emit(gap, c.serialize(src.Addr(), dst.Addr(), ip, u, gopacket.Payload(payload)), note)
}

// portUnreachable emits the ICMP destination unreachable (port
// unreachable) that host from sends about the datagram in frame n, quoting
// its IP header and first 8 payload bytes (RFC 792).
func (c *trace) portUnreachable(from netip.Addr, n int, note string) int {
	orig := c.frames[n-1].Data[14:]
	ihl := int(orig[0]&0x0f) * 4
	quote := append([]byte(nil), orig[:ihl+8]...)
	to, _ := netip.AddrFromSlice(orig[12:16])
	ip := c.ipv4(from, to, layers.IPProtocolICMPv4)
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodePort)}
	return c.emit(replyGap, c.serialize(from, to, ip, icmp, gopacket.Payload(quote)), note)
}

// hash32 is FNV-1a of s: deterministic "random" numbers (ISNs, IP ids).
func hash32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// TCP flag bits as tcpConn.segment takes them.
const (
	fFIN = 1 << iota
	fSYN
	fRST
	fPSH
	fACK
)

// tcpConn is one TCP connection from a client to a server: the handshake,
// data in MSS-sized segments with correct sequence and acknowledgement
// numbers, delayed ACKs and the teardown.
type tcpConn struct {
	c        *trace
	cli, srv netip.AddrPort
	// nxt[0] is the client's next sequence number, nxt[1] the server's.
	nxt [2]uint32
	// unacked counts full segments each side received and has not
	// acknowledged yet (a receiver acknowledges every second one).
	unacked [2]int
}

func (c *trace) tcp(cli netip.Addr, srv netip.AddrPort) *tcpConn {
	t := &tcpConn{c: c, cli: netip.AddrPortFrom(cli, c.ephemeral(cli)), srv: srv}
	t.nxt[0] = hash32(t.cli.String() + ">" + srv.String())
	t.nxt[1] = hash32(srv.String() + ">" + t.cli.String())
	return t
}

func side(fromServer bool) int {
	if fromServer {
		return 1
	}
	return 0
}

// segment emits one segment from one side with the flags given; its
// acknowledgement number is the other side's next sequence number.
func (t *tcpConn) segment(gap time.Duration, fromServer bool, flags int, payload []byte, note string) int {
	s := side(fromServer)
	src, dst := t.cli, t.srv
	if fromServer {
		src, dst = t.srv, t.cli
	}
	ip := t.c.ipv4(src.Addr(), dst.Addr(), layers.IPProtocolTCP)
	seg := &layers.TCP{SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()),
		Seq: t.nxt[s], Window: window,
		FIN: flags&fFIN != 0, SYN: flags&fSYN != 0, RST: flags&fRST != 0, PSH: flags&fPSH != 0, ACK: flags&fACK != 0}
	if seg.ACK {
		seg.Ack = t.nxt[1-s]
	}
	if seg.RST {
		seg.Window = 0 // a refusing stack advertises no window
	}
	if seg.SYN {
		// MSS 1460, NOP, NOP, SACK permitted (as Windows sends them)
		seg.Options = []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: binary.BigEndian.AppendUint16(nil, mss)},
			{OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
		}
	}
	if err := seg.SetNetworkLayerForChecksum(ip); err != nil {
		panic(err)
	}
	n := t.c.emit(gap, t.c.serialize(src.Addr(), dst.Addr(), ip, seg, gopacket.Payload(payload)), note)
	t.nxt[s] += uint32(len(payload))
	if flags&(fSYN|fFIN) != 0 {
		t.nxt[s]++
	}
	return n
}

// handshake emits SYN, SYN-ACK, ACK and returns the SYN's frame number.
func (t *tcpConn) handshake() int {
	syn := t.segment(sendGap, false, fSYN, nil, "TCP SYN "+t.cli.String()+" > "+t.srv.String())
	t.segment(replyGap, true, fSYN|fACK, nil, "TCP SYN-ACK")
	t.segment(sendGap, false, fACK, nil, "TCP ACK (handshake complete)")
	return syn
}

// send emits payload from one side in segments of at most mss bytes, PSH
// on the last; the receiver acknowledges every second full segment with a
// pure ACK, as a delayed-ACK receiver does. It returns the number of the
// frame that carries the payload's last byte. gap is the delay before the
// first segment.
func (t *tcpConn) send(gap time.Duration, fromServer bool, payload []byte, note string) int {
	s := side(fromServer)
	last := 0
	for off := 0; off < len(payload); {
		n := min(mss, len(payload)-off)
		flags := fACK
		segNote := "TCP segment of a reassembled PDU (" + note + ")"
		if off+n == len(payload) {
			flags |= fPSH
			segNote = note
		}
		last = t.segment(gap, fromServer, flags, payload[off:off+n], segNote)
		gap = 12 * time.Microsecond // back-to-back segments
		off += n
		if n == mss && off < len(payload) {
			t.unacked[1-s]++
			if t.unacked[1-s] == 2 {
				t.unacked[1-s] = 0
				t.segment(60*time.Microsecond, !fromServer, fACK, nil, "TCP ACK (every second segment)")
				gap = 60 * time.Microsecond
			}
		}
	}
	t.unacked[1-s] = 0
	return last
}

// ack emits a pure ACK from one side (a delayed ACK after the last data).
func (t *tcpConn) ack(fromServer bool) int {
	return t.segment(sendGap, fromServer, fACK, nil, "TCP ACK")
}

// close emits the teardown the client starts: FIN-ACK, the server's
// FIN-ACK (acknowledging the client's FIN), the client's last ACK. It
// returns the client FIN's frame number.
func (t *tcpConn) close() int {
	fin := t.segment(sendGap, false, fFIN|fACK, nil, "TCP FIN (client closes)")
	t.segment(replyGap, true, fFIN|fACK, nil, "TCP FIN (server closes)")
	t.segment(sendGap, false, fACK, nil, "TCP ACK (connection closed)")
	return fin
}

// refused emits a SYN answered by RST-ACK (nothing listens on the
// server's port) and returns both frame numbers.
func (t *tcpConn) refused() (syn, rst int) {
	syn = t.segment(sendGap, false, fSYN, nil, "TCP SYN "+t.cli.String()+" > "+t.srv.String())
	// The RST carries sequence 0 and acknowledges the SYN.
	t.nxt[1] = 0
	rst = t.segment(replyGap, true, fRST|fACK, nil, "TCP RST-ACK: connection refused ("+t.srv.String()+" has no listener)")
	return syn, rst
}
